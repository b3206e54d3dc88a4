import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore, type StoredCredentials } from './config-store.js';
import { CliError } from './errors.js';

const session: StoredCredentials = {
  apiUrl: 'https://api.example',
  email: 'ann@example.com',
  accessToken: 'access-1',
  accessTokenExpiresAt: Date.parse('2030-01-01T00:05:00.000Z'),
  refreshToken: 'refresh-1',
  refreshTokenExpiresAt: Date.parse('2030-01-31T00:00:00.000Z'),
};

describe('ConfigStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cli-config-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the directory owner-only (0700) and the credentials file owner-only (0600)', async () => {
    const store = new ConfigStore(join(root, 'nested', 'memberships'));
    await store.writeCredentials(session);
    expect((await stat(store.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.credentialsPath)).mode & 0o777).toBe(0o600);
  });

  it('tightens a config directory that was created too open', async () => {
    const dir = join(root, 'memberships');
    await mkdir(dir);
    await chmod(dir, 0o755);
    await new ConfigStore(dir).writeCredentials(session);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('reads back what it wrote, with readable dates on disk and no temporary files left', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    await store.writeCredentials(session);
    expect(await store.readCredentials()).toEqual(session);
    const onDisk = JSON.parse(await readFile(store.credentialsPath, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ api_url: 'https://api.example', access_token_expires_at: '2030-01-01T00:05:00.000Z' });
    expect(await readdir(store.dir)).toEqual(['credentials.json']);
  });

  it('rewrites the file when tokens rotate', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    await store.writeCredentials(session);
    await store.writeCredentials({ ...session, accessToken: 'access-2', refreshToken: 'refresh-2' });
    expect(await store.readCredentials()).toMatchObject({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    expect((await stat(store.credentialsPath)).mode & 0o777).toBe(0o600);
  });

  it('has no credentials before login and after logout', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    expect(await store.readCredentials()).toBeUndefined();
    await store.writeCredentials(session);
    expect(await store.deleteCredentials()).toBe(true);
    expect(await store.readCredentials()).toBeUndefined();
    expect(await store.deleteCredentials()).toBe(false);
  });

  it('explains a damaged file instead of crashing', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    await mkdir(store.dir, { recursive: true });
    await writeFile(store.credentialsPath, '{"api_url": ');
    await expect(store.readCredentials()).rejects.toBeInstanceOf(CliError);
    await writeFile(store.credentialsPath, '{"api_url": "https://api.example"}');
    await expect(store.readCredentials()).rejects.toMatchObject({
      code: 'credentials_invalid',
      suggestion: expect.stringContaining('memberships login'),
    });
  });

  it('keeps the chosen API URL in config.json', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    expect(await store.readSettings()).toEqual({});
    await store.writeSettings({ apiUrl: 'https://api.example' });
    expect(await store.readSettings()).toEqual({ apiUrl: 'https://api.example' });
  });

  it('lets only one refresh run at a time', async () => {
    const store = new ConfigStore(join(root, 'memberships'));
    const events: string[] = [];
    const critical = (name: string) => async () => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push(`${name} out`);
    };
    await Promise.all([store.withCredentialsLock(critical('a')), store.withCredentialsLock(critical('b'))]);
    expect(events).toHaveLength(4);
    expect(events[1]).toBe(`${events[0]?.split(' ')[0]} out`);
    expect(await readdir(store.dir)).toEqual([]);
  });
});
