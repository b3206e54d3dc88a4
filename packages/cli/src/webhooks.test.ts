import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type CreatedWebhookEndpoint, type MembershipsClient, type WebhookEndpoint } from '@memberships/sdk';
import { createUser, startTestPlatform, type TestPlatform } from '@memberships/local-platform';
import { closeTerminals, runCli, runCliInPty, type CliResult } from './testing/cli-runner.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI_ESCAPES = /\u001b\[[\d;]*[A-Za-z]/g;

/**
 * `memberships webhooks …`: the built binary as a child process against the
 * real API on the local platform, which takes http://127.0.0.1 endpoints.
 * `listen` is sent deliveries by the test itself, signed as the
 * Memberships-Signature header is documented.
 */
describe('memberships webhooks against the real platform', () => {
  let platform: TestPlatform;
  let work: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 5 });
    work = await mkdtemp(join(tmpdir(), 'cli-webhooks-'));
  });

  afterEach(closeTerminals);

  afterAll(async () => {
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  interface Session {
    readonly env: Record<string, string>;
    /** The same user through the SDK, to check what the CLI did. */
    readonly client: MembershipsClient;
    run(args: string[]): Promise<CliResult>;
  }

  /** A new user, logged in with the CLI in a config directory of its own: no endpoints yet. */
  async function newUserSession(): Promise<Session> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    const configDir = await mkdtemp(join(work, 'config-'));
    const env = { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl };
    const login = await runCli(['login', '--email', user.email, '--password-stdin'], { input: user.password, env });
    expect(login).toMatchObject({ code: 0 });
    const client = createClient({ baseUrl: platform.apiUrl, credentials: { email: user.email, password: user.password } });
    return { env, client, run: (args) => runCli(args, { env }) };
  }

  const parse = <T>(result: CliResult): T => {
    expect(result).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as T;
  };

  it('creates (the secret printed once), lists, shows, disables, enables, rotates and deletes an endpoint', async () => {
    const me = await newUserSession();

    const created = await me.run([
      'webhooks',
      'create',
      '--url',
      'http://127.0.0.1:9999/hooks',
      '--events',
      'export.succeeded,export.failed',
    ]);
    expect(created.code).toBe(0);
    const id = /^Endpoint {2}(we_[0-9a-f]{24})$/m.exec(created.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(created.stdout).toContain('URL       http://127.0.0.1:9999/hooks\n');
    expect(created.stdout).toContain('Events    export.succeeded, export.failed\n');
    const secret = /^Secret {4}(whsec_\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('The secret is shown only now');

    const table = await me.run(['webhooks', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+EVENTS\s+URL$/);
    expect(rows).toEqual([
      expect.stringMatching(new RegExp(`^${id}\\s+enabled\\s+export.succeeded,export.failed\\s+http://127.0.0.1:9999/hooks$`)),
    ]);
    expect(table.stdout).not.toContain(secret);

    const shown = await me.run(['webhooks', 'show', id]);
    expect(shown.stdout).toContain(`Endpoint  ${id}`);
    expect(shown.stdout).not.toContain(secret);

    expect((await me.run(['webhooks', 'disable', id])).stdout).toContain(`Disabled webhook endpoint ${id}`);
    expect(parse<WebhookEndpoint>(await me.run(['webhooks', 'show', id, '--json']))).toMatchObject({ status: 'disabled' });
    expect((await me.run(['webhooks', 'enable', id])).stdout).toContain(`Enabled webhook endpoint ${id}`);
    await expect(me.client.webhooks.get(id)).resolves.toMatchObject({ status: 'enabled' });

    const rotated = parse<CreatedWebhookEndpoint>(await me.run(['webhooks', 'rotate-secret', id, '--json']));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);

    const deliveries = await me.run(['webhooks', 'deliveries', id]);
    expect(deliveries).toMatchObject({ code: 0, stdout: '' });
    expect(deliveries.stderr).toContain('No deliveries yet');
    expect(parse<{ items: unknown[] }>(await me.run(['webhooks', 'deliveries', id, '--json', '--limit', '5']))).toEqual({ items: [] });

    // No terminal to ask on: deleting needs --yes.
    const unconfirmed = await me.run(['webhooks', 'delete', id]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain(`hint: Pass --yes to delete without asking: memberships webhooks delete ${id} --yes`);
    await expect(me.client.webhooks.get(id)).resolves.toMatchObject({ id });

    expect(await me.run(['webhooks', 'delete', id, '--yes'])).toMatchObject({
      code: 0,
      stdout: `Deleted webhook endpoint ${id}: no more events are sent to it.\n`,
    });
    const gone = await me.run(['webhooks', 'show', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('hint: List your webhook endpoints with: memberships webhooks list');
    const empty = await me.run(['webhooks', 'list']);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('No webhook endpoints yet');
  });

  it('delete on a terminal asks first, naming the URL, and deletes only on yes', async () => {
    const me = await newUserSession();
    const endpoint = await me.client.webhooks.create({ url: 'http://127.0.0.1:9999/asked', events: ['export.failed'] });

    const declined = runCliInPty(['webhooks', 'delete', endpoint.id], me.env);
    await declined.waitFor('(y/N)');
    expect(declined.screen().replace(ANSI_ESCAPES, '').replace(/\s+/g, ' ')).toContain(
      `Delete webhook endpoint ${endpoint.id} (http://127.0.0.1:9999/asked)?`,
    );
    declined.type('n\r');
    expect((await declined.exited).code).toBe(1);
    expect(declined.screen()).toContain('was not deleted');
    await expect(me.client.webhooks.get(endpoint.id)).resolves.toMatchObject({ id: endpoint.id });

    const confirmed = runCliInPty(['webhooks', 'delete', endpoint.id], me.env);
    await confirmed.waitFor('(y/N)');
    confirmed.type('y\r');
    expect((await confirmed.exited).code).toBe(0);
    expect(confirmed.screen()).toContain(`Deleted webhook endpoint ${endpoint.id}`);
    await expect(me.client.webhooks.get(endpoint.id)).rejects.toMatchObject({ status: 404 });
  });

  it('creates with every event type by default and prints JSON with the secret', async () => {
    const me = await newUserSession();
    const created = parse<CreatedWebhookEndpoint>(
      await me.run(['webhooks', 'create', '--url', 'http://127.0.0.1:9999/', '--description', 'ci', '--json']),
    );
    expect(created).toMatchObject({
      events: ['export.succeeded', 'export.failed', 'export.canceled', 'export.expired'],
      description: 'ci',
      secret: expect.stringMatching(/^whsec_/),
    });
  });

  it('explains a refused URL, and an unknown event type as a usage error', async () => {
    const me = await newUserSession();

    const refused = await me.run(['webhooks', 'create', '--url', 'https://10.0.0.8/hooks']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: The URL is not allowed: /m);
    expect(refused.stderr).toContain('hint: Webhook URLs must be https:// on a public address.');

    const unknown = await me.run(['webhooks', 'create', '--url', 'https://hooks.example.com/', '--events', 'export.done']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown event type "export.done"');
    expect((await me.client.webhooks.list()).items).toEqual([]);
  });

  /** Starts `webhooks listen …` and resolves once it has registered its endpoint. */
  async function listen(me: Session, args: string[] = []) {
    let child: ChildProcess | undefined;
    let output: { stdout: () => string; stderr: () => string } | undefined;
    const finished = runCli(['webhooks', 'listen', ...args], {
      env: me.env,
      onSpawn: (spawned, streams) => {
        child = spawned;
        output = streams;
      },
    });
    const waitFor = async (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<RegExpExecArray> => {
      for (let waited = 0; waited < 20_000; waited += 50) {
        const found = output ? pattern.exec(output[stream]()) : null;
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`webhooks listen never printed ${pattern}.\nstdout: ${output?.stdout()}\nstderr: ${output?.stderr()}`);
    };
    const url = (await waitFor(/^Listening on (http:\/\/127\.0\.0\.1:\d+\/)/m))[1] ?? '';
    const endpointId = (await waitFor(/^Temporary endpoint (we_[0-9a-f]{24})/m))[1] ?? '';
    const secret = (await waitFor(/^Signing secret (whsec_\S+)/m))[1] ?? '';
    return { url, endpointId, secret, waitFor, finished, kill: (signal: NodeJS.Signals) => child?.kill(signal) };
  }

  const event = (jobId: string) =>
    JSON.stringify({
      id: 'evt_0123456789abcdef01234567',
      object: 'event',
      type: 'export.succeeded',
      created_at: new Date().toISOString(),
      data: { object: { id: jobId, state: 'succeeded' } },
    });
  const deliver = (url: string, body: string, secret?: string) => {
    const t = Math.floor(Date.now() / 1000);
    const signature = secret
      ? { 'memberships-signature': `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}` }
      : {};
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signature }, body });
  };

  it('listen registers a temporary endpoint, prints each delivery VERIFIED or UNVERIFIED, and deletes it on Ctrl+C', async () => {
    const me = await newUserSession();
    const listener = await listen(me, ['--events', 'export.succeeded,export.failed']);

    expect(listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const endpoint = await me.client.webhooks.get(listener.endpointId);
    expect(endpoint).toMatchObject({ url: listener.url, events: ['export.succeeded', 'export.failed'], status: 'enabled' });

    const signed = await deliver(listener.url, event('b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c'), listener.secret);
    expect(signed.status).toBe(200);
    await listener.waitFor(/^\S+ {2}export\.succeeded {2}b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c {2}VERIFIED$/m, 'stdout');

    const forged = await deliver(listener.url, event('0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b'), `${listener.secret}x`);
    expect(forged.status).toBe(400);
    await listener.waitFor(
      /^\S+ {2}export\.succeeded {2}0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b {2}UNVERIFIED \(signature_mismatch\)$/m,
      'stdout',
    );

    listener.kill('SIGINT');
    const result = await listener.finished;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Deleted endpoint ${listener.endpointId}.`);
    await expect(me.client.webhooks.get(listener.endpointId)).rejects.toMatchObject({ status: 404, code: 'webhook_endpoint_not_found' });
  });

  it('listen --json prints verified events only, one per line, and SIGTERM deletes the endpoint too', async () => {
    const me = await newUserSession();
    const listener = await listen(me, ['--json']);
    const body = event('b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c');

    expect((await deliver(listener.url, body)).status).toBe(400);
    expect((await deliver(listener.url, body, listener.secret)).status).toBe(200);
    await listener.waitFor(/^\{.*\}\n$/, 'stdout');

    listener.kill('SIGTERM');
    const result = await listener.finished;
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([JSON.parse(body)]);
    expect(result.stderr).toMatch(/UNVERIFIED \(missing_header\)/);
    await expect(me.client.webhooks.get(listener.endpointId)).rejects.toMatchObject({ status: 404 });
    expect((await me.client.webhooks.list()).items).toEqual([]);
  });

  it('listen prints the real event of an export that finishes, VERIFIED, and deliveries and resend show and send it again', async () => {
    const me = await newUserSession();
    const listener = await listen(me, ['--events', 'export.succeeded']);

    const requested = await me.run(['export', '--no-wait']);
    expect(requested.code).toBe(0);
    const jobId = requested.stdout.trim();
    await listener.waitFor(new RegExp(`^\\S+ {2}export\\.succeeded {2}${jobId} {2}VERIFIED$`, 'm'), 'stdout');
    // The worker records the attempt once it has the listener's answer, a moment after the line.
    for (let tries = 0; tries < 100; tries += 1) {
      const [latest] = (await me.client.webhooks.deliveries(listener.endpointId)).items;
      if (latest?.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const page = await me.run(['webhooks', 'deliveries', listener.endpointId, '--json']);
    const { items } = JSON.parse(page.stdout) as { items: { id: string; job_id: string; status: string; attempt_count: number }[] };
    expect(items).toEqual([expect.objectContaining({ job_id: jobId, status: 'succeeded', attempt_count: 1 })]);
    const table = await me.run(['webhooks', 'deliveries', listener.endpointId]);
    expect(table.stdout).toMatch(new RegExp(`^${items[0]?.id}\\s+export\\.succeeded\\s+${jobId}\\s+succeeded\\s+1\\s+200 in \\d+ ms`, 'm'));

    const resent = await me.run(['webhooks', 'resend', listener.endpointId, items[0]?.id ?? '']);
    expect(resent.code).toBe(0);
    expect(resent.stdout).toContain(`Queued delivery ${items[0]?.id} (export.succeeded of export ${jobId}) to be sent again.`);
    await listener.waitFor(new RegExp(`(^\\S+ {2}export\\.succeeded {2}${jobId} {2}VERIFIED\n){2}`, 'm'), 'stdout');

    listener.kill('SIGINT');
    expect((await listener.finished).code).toBe(0);
  }, 120_000);

  it('listen --forward-to relays each delivery to a receiver and answers with its status', async () => {
    const me = await newUserSession();
    const relayed: { signature: unknown; body: string }[] = [];
    const receiver = createServer((request, response) => {
      let text = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      request.on('end', () => {
        relayed.push({ signature: request.headers['memberships-signature'], body: text });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const listener = await listen(me, ['--forward-to', target]);
      const body = event('b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c');

      const response = await deliver(listener.url, body, listener.secret);

      expect(response.status).toBe(202);
      await listener.waitFor(/ {2}VERIFIED {2}-> 202$/m, 'stdout');
      expect(relayed).toEqual([{ signature: expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/), body }]);
      listener.kill('SIGINT');
      expect((await listener.finished).code).toBe(0);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('listen says what to do when the API refuses the URL, and leaves nothing behind', async () => {
    const me = await newUserSession();

    const result = await runCli(['webhooks', 'listen', '--url', 'https://10.0.0.8/hooks'], { env: me.env });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: The API refused https:\/\/10\.0\.0\.8\/hooks as a webhook URL: The URL is not allowed/m);
    expect(result.stderr).toContain('works against the local platform (npm start)');
    expect(result.stderr).toContain('memberships webhooks listen --port 4242 --url https://<your tunnel>');
    expect((await me.client.webhooks.list()).items).toEqual([]);
  });
});
