/**
 * Child process running the SES stand-in on 127.0.0.1: aws-ses-v2-local (SES
 * v1/v2 API + a mailbox) on an internal loopback port, behind ses-front.ts on
 * the port asked for, which keeps the headers of raw emails in `GET /store`.
 * Usage: `[SES_LOCAL_MAX_SEND_RATE=<emails/s>] node ses-runner.js <port|0>`; prints
 * `listening <port> node=<version>` (the front's port), and `throttled <operation>
 * (<n> recipient(s)) over <rate>/s` for each send refused over the maximum send
 * rate (unset or 0: none), exits on SIGTERM/SIGINT or when stdin closes (the parent died).
 */
import type { AddressInfo } from 'node:net';
import startSesLocal from 'aws-ses-v2-local';
import { runUntilParentExits } from './runner-lifecycle';
import { createSesFront } from './ses-front';

async function main(): Promise<void> {
  // Never relay mail anywhere: the mailbox is the only destination.
  delete process.env.SMTP_TRANSPORT;
  const port = Number(process.argv[2] ?? '0');
  const maxSendRate = maxSendRateOf(process.env.SES_LOCAL_MAX_SEND_RATE);
  const upstream = await startSesLocal({ host: '127.0.0.1', port: 0 });
  // It resolves even when listening failed (its listen callback swallows the error).
  if (!upstream.listening) throw new Error('aws-ses-v2-local cannot listen on 127.0.0.1');
  const front = createSesFront((upstream.address() as AddressInfo).port, {
    maxSendRate,
    onThrottled: (operation, recipients) =>
      process.stdout.write(`throttled ${operation} (${recipients} recipient${recipients === 1 ? '' : 's'}) over ${maxSendRate}/s\n`),
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`cannot listen on 127.0.0.1:${port} (address already in use)`) : error),
    );
    front.listen(port, '127.0.0.1', resolve);
  });
  runUntilParentExits(front);
}

/** Emails per second; unset or empty is 0 (no rate). */
function maxSendRateOf(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate < 0)
    throw new Error(`SES_LOCAL_MAX_SEND_RATE must be a number of emails per second, 0 or more: ${value}`);
  return rate;
}

main().catch((error: unknown) => {
  process.stderr.write(`ses-local failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
