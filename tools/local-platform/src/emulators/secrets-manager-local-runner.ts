/**
 * Child process running the Secrets Manager stand-in on 127.0.0.1.
 * Usage: `node secrets-manager-local-runner.js <port|0> <region>`; prints
 * `listening <port> node=<version>`, exits on SIGTERM/SIGINT or when stdin
 * closes (the parent died).
 */
import { runUntilParentExits } from './runner-lifecycle';
import { createSecretsManagerServer } from './secrets-manager-local-server';

const port = Number(process.argv[2] ?? '0');
const server = createSecretsManagerServer(process.argv[3] ?? 'us-east-1');
server.once('error', (error) => {
  process.stderr.write(`secrets-manager-local failed: ${error.stack ?? String(error)}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => runUntilParentExits(server));
