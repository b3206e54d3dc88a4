/**
 * Child process running aws-ses-v2-local (SES v1/v2 API + a mailbox) on
 * 127.0.0.1. Usage: `node ses-runner.js <port|0>`; prints `listening <port> node=<version>`,
 * exits on SIGTERM/SIGINT or when stdin closes (the parent died).
 */
import startSesLocal from 'aws-ses-v2-local';
import { runUntilParentExits } from './runner-lifecycle';

async function main(): Promise<void> {
  // Never relay mail anywhere: the mailbox is the only destination.
  delete process.env.SMTP_TRANSPORT;
  const port = Number(process.argv[2] ?? '0');
  const server = await startSesLocal({ host: '127.0.0.1', port });
  // It resolves even when listening failed (its listen callback swallows the error).
  if (!server.listening) throw new Error(`cannot listen on 127.0.0.1:${port} (address already in use?)`);
  runUntilParentExits(server);
}

main().catch((error: unknown) => {
  process.stderr.write(`ses-local failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
