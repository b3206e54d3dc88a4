import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every emulator runner process does once its server listens: say so
 * (`listening <port> node=<version>`, which startEmulatorProcess waits for),
 * then stop on SIGTERM/SIGINT or when stdin closes (the parent died), so no
 * orphan keeps a port. Output pipe errors after the parent is gone (EPIPE)
 * must not crash the shutdown they trigger.
 */
export function runUntilParentExits(server: Server): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  process.stdout.write(`listening ${(server.address() as AddressInfo).port} node=${process.version}\n`);
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}
