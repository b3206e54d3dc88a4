import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { childEnv, ManagedProcess } from './managed-process';
import { PACKAGE_ROOT } from './package-paths';
import { createTestDatabase, type TestDatabase } from './postgres';
import { TRICKY_MEMBERSHIPS } from './seed';
import { attachmentContent, isAddressedTo, waitForEmails } from './ses-mailbox';
import { isPortOpen } from './test-support/network';

const READY = 'Ctrl+C to stop.';
const DEMO = { email: 'demo@example.com', password: 'demo-password' };

/** `npm start` as a developer runs it, on free ports, with its data under `dataDir`. */
async function start(dataDir: string, databaseUrl: string) {
  const platform = new ManagedProcess({
    name: 'npm start',
    command: process.execPath,
    args: [path.join(PACKAGE_ROOT, 'dist', 'start.js')],
    env: childEnv({ DYNAMODB_PORT: '0', FAUXQS_PORT: '0', SES_PORT: '0', PORT: '0', LOCAL_DATA_DIR: dataDir, DATABASE_URL: databaseUrl }),
    parentWatch: 'none',
  });
  await platform.waitForLine((line) => line.includes(READY), 240_000);
  const value = (pattern: RegExp) => {
    const line = platform.lines.find((candidate) => pattern.test(candidate));
    const match = line && pattern.exec(line);
    if (!match?.[1]) throw new Error(`no line matching ${String(pattern)} in:\n${platform.lines.join('\n')}`);
    return match[1];
  };
  return {
    platform,
    apiUrl: value(/^ API\s+(http:\/\/127\.0\.0\.1:\d+)/),
    sesUrl: value(/^ Sent emails\s+(http:\/\/127\.0\.0\.1:\d+)\//),
    memberships: Number(value(/^ Demo user .*\((\d+) memberships\)/)),
  };
}

async function logIn(apiUrl: string): Promise<string> {
  const response = await fetch(`${apiUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(DEMO),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('npm start', () => {
  let dataDir: string;
  let database: TestDatabase;
  let running: ManagedProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'local-platform-start-'));
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await running?.kill();
    running = undefined;
  });

  afterAll(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs the platform with demo data: log in, export, get the email; Ctrl+C stops everything and exits 0', async () => {
    const { platform, apiUrl, sesUrl, memberships } = await start(dataDir, database.url);
    running = platform;
    expect(memberships).toBe(3000 + TRICKY_MEMBERSHIPS.length);
    expect(platform.lines).toEqual(expect.arrayContaining([expect.stringContaining(`${DEMO.email} / ${DEMO.password}`)]));

    const token = await logIn(apiUrl);
    const requested = await fetch(`${apiUrl}/v1/exports`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(requested.status).toBe(202);

    const [email] = await waitForEmails(sesUrl, (candidate) => isAddressedTo(candidate, DEMO.email), { timeoutMs: 120_000 });
    const csv = attachmentContent(email!.attachments[0]!).toString('utf8');
    expect(csv.startsWith('id,uuid,club_name,')).toBe(true);
    expect(csv).toContain('東京フィットネス');

    platform.child.kill('SIGINT');
    await expect(platform.exited).resolves.toEqual({ code: 0, signal: null });
    expect(platform.lines).toContain('Stopped.');
    await expect(isPortOpen(Number(new URL(apiUrl).port))).resolves.toBe(false);
    await expect(isPortOpen(Number(new URL(sesUrl).port))).resolves.toBe(false);
  }, 400_000);
});
