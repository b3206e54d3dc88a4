import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The README's webhook receiver, run as written (examples/webhook-receiver.mjs
 * against the built SDK): it acts on a correctly signed delivery once per
 * event id and refuses what is unsigned, forged or replayed. No platform
 * needed: the test signs as the platform's header is documented.
 */
const packageDir = resolve(__dirname, '..');
const example = join(packageDir, 'examples', 'webhook-receiver.mjs');
const secret = 'whsec_ZXhhbXBsZS1yZWNlaXZlci1zZWNyZXQtb2YtMzItYnl0';
const body = JSON.stringify({
  id: 'evt_0123456789abcdef01234567',
  object: 'event',
  type: 'export.succeeded',
  created_at: new Date().toISOString(),
  data: {
    object: { id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c', state: 'succeeded' },
    download_url: 'http://127.0.0.1:3000/v1/exports/b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c/file?token=t',
  },
});
const sign = (payload: string, t = Math.floor(Date.now() / 1000), key = secret): string =>
  `t=${t},v1=${createHmac('sha256', key).update(`${t}.${payload}`).digest('hex')}`;

describe('the webhook receiver example', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    child?.kill();
    child = undefined;
  });

  it('is the block the README shows', async () => {
    const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
    const block = /<!-- example:webhook-receiver[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(await readFile(example, 'utf8'));
  });

  it('acts once on a signed delivery and answers 400 to an unsigned, forged or replayed one', async () => {
    const started = spawn(process.execPath, [example], {
      env: { PATH: process.env.PATH, MEMBERSHIPS_WEBHOOK_SECRET: secret, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let stdout = '';
    started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const url = await new Promise<string>((resolvePromise, reject) => {
      let stderr = '';
      started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const found = /Receiving webhooks on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (found?.[1]) resolvePromise(found[1]);
      });
      started.on('exit', (code) => reject(new Error(`the example exited (${code}): ${stderr}`)));
    });
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });

    const unsigned = await post({});
    const forged = await post({ 'memberships-signature': sign(body, undefined, `${secret}-not`) });
    const replayed = await post({ 'memberships-signature': sign(body, Math.floor(Date.now() / 1000) - 3600) });
    expect([unsigned.status, forged.status, replayed.status]).toEqual([400, 400, 400]);
    expect(await forged.text()).toBe('signature_mismatch');
    expect(await replayed.text()).toBe('timestamp_too_old');

    const first = await post({ 'memberships-signature': sign(body) });
    const again = await post({ 'memberships-signature': sign(body) });
    expect([first.status, again.status]).toEqual([200, 200]);

    await new Promise((settle) => setTimeout(settle, 200));
    expect(stdout).toBe(
      'export.succeeded b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c http://127.0.0.1:3000/v1/exports/b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c/file?token=t\n',
    );
  });
});
