/**
 * Child process running the EventBridge stand-in on 127.0.0.1.
 * Usage: `node eventbridge-local-runner.js <port|0> <region>`; prints
 * `listening <port> node=<version>`, exits on SIGTERM/SIGINT or when stdin
 * closes (the parent died).
 */
import { createEventBridgeServer } from './eventbridge-local-server';
import { runUntilParentExits } from './runner-lifecycle';

const port = Number(process.argv[2] ?? '0');
const server = createEventBridgeServer(process.argv[3] ?? 'us-east-1');
server.once('error', (error) => {
  process.stderr.write(`eventbridge-local failed: ${error.stack ?? String(error)}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => runUntilParentExits(server));
