/**
 * Child process running the Secrets Manager stand-in on 127.0.0.1.
 * Usage: `node secrets-manager-local-runner.js <port|0> <region>`; prints
 * `listening <port> node=<version>`, exits on SIGTERM/SIGINT or when stdin
 * closes (the parent died).
 */
import type { AddressInfo } from 'node:net';
import { createSecretsManagerServer } from './secrets-manager-local-server';

// Once the parent is gone, writing to our output pipes fails (EPIPE); that must not
// crash the shutdown it triggers.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const port = Number(process.argv[2] ?? '0');
const server = createSecretsManagerServer(process.argv[3] ?? 'us-east-1');
server.once('error', (error) => {
  process.stderr.write(`secrets-manager-local failed: ${error.stack ?? String(error)}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port} node=${process.version}\n`);
});

let closing = false;
function shutdown(): void {
  if (closing) return;
  closing = true;
  server.closeAllConnections();
  server.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
