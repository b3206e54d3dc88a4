/**
 * Child process running fauxqs (SQS + S3 emulator) on 127.0.0.1. fauxqs's own
 * startFauxqs() listens on every interface, so this builds its app and binds
 * it to loopback itself. Its own process keeps its event loop away from the
 * tests. Usage: `node fauxqs-runner.mjs <port|0>`; prints `listening <port> node=<version>`,
 * exits on SIGTERM/SIGINT or when stdin closes (the parent died).
 */
import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';

// Once the parent is gone, writing to our output pipes fails (EPIPE); that must not
// crash the shutdown it triggers.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const port = Number(process.argv[2] ?? '0');
const app = buildApp({ logger: false });
await app.listen({ host: '127.0.0.1', port });
const address = app.server.address() as AddressInfo;
process.stdout.write(`listening ${address.port} node=${process.version}\n`);

let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown());
process.stdin.on('error', () => void shutdown());
process.stdin.resume();
