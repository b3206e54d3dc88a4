import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { awsKeyEnvironment } from '@memberships/local-platform';
import { bearer, startTestApp, type TestApp } from '../testing/test-app';

/**
 * The bootstrap script as an operator runs it (the built dist/scripts/create-user.js),
 * against the users table of a running API: the admin it creates can log in
 * and create users through the API.
 */
const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'create-user.js');

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], stdin: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    // The script's own keys: the IAM gate holds it to the API task role it runs with in AWS.
    ...awsKeyEnvironment('createUser'),
    AWS_REGION: t.platform.aws.region,
    AWS_ENDPOINT_URL_DYNAMODB: t.platform.aws.endpoints.dynamodb,
    USERS_TABLE: t.config.tables.users,
    ...env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const PASSWORD = 'bootstrap passphrase for the first admin';

describe('create-user script', () => {
  it('creates the first administrator, who can then log in and create users through the API', async () => {
    const email = `Admin-${randomUUID()}@Example.test`;
    const result = await run(
      ['--email', email, '--password-stdin', '--scopes', 'users:admin,exports:read', '--profile', '{"displayName":"Ops"}'],
      `${PASSWORD}\n`,
    );

    expect(result).toMatchObject({ code: 0 });
    const created = JSON.parse(result.stdout);
    expect(created).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      scopes: ['users:admin', 'exports:read'],
      profile: { displayName: 'Ops' },
      created_at: expect.any(String),
      // New accounts get download links by email until they turn them off (PATCH /v1/me).
      emailed_download_links: true,
    });
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);

    // The trailing newline of the pipe is not part of the password.
    const token = await t.login({ email, password: PASSWORD });
    const response = await t.request({
      method: 'POST',
      url: '/v1/admin/users',
      headers: bearer(token),
      payload: { email: `member-${randomUUID()}@example.test`, password: 'member passphrase' },
    });
    expect(response.statusCode).toBe(201);
  });

  it('gives the default member scopes without --scopes', async () => {
    const result = await run(['--email', `member-${randomUUID()}@example.test`, '--password-stdin'], PASSWORD);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).scopes).toEqual([
      'exports:read',
      'exports:write',
      'schedules:read',
      'schedules:write',
      'webhooks:read',
      'webhooks:write',
    ]);
  });

  it('refuses a taken email and a weak password with exit code 1 and the error code', async () => {
    const email = `dup-${randomUUID()}@example.test`;
    expect((await run(['--email', email, '--password-stdin'], PASSWORD)).code).toBe(0);

    const taken = await run(['--email', email.toUpperCase(), '--password-stdin'], PASSWORD);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('error [email_taken]');

    const weak = await run(['--email', `weak-${randomUUID()}@example.test`, '--password-stdin'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('error [password_policy]');
    expect(weak.stderr).toContain('at least 12 characters');

    const notAnEmail = await run(['--email', 'not an email', '--password-stdin'], PASSWORD);
    expect(notAnEmail.code).toBe(1);
    expect(notAnEmail.stderr).toContain('error [invalid_email]');
  });

  it('explains its usage (exit code 2) without --password-stdin, with unknown scopes or options', async () => {
    const email = `usage-${randomUUID()}@example.test`;
    for (const args of [
      ['--email', email],
      ['--email', email, '--password-stdin', '--scopes', 'root'],
      ['--email', email, '--password', 'x'],
    ]) {
      const result = await run(args, PASSWORD);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain('Usage: create-user');
    }
  });

  it('names the missing configuration', async () => {
    const result = await run(['--email', `cfg-${randomUUID()}@example.test`, '--password-stdin'], PASSWORD, { USERS_TABLE: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('USERS_TABLE is required');
  });
});
