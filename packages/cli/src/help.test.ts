import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, runCliInBash, runCliWithClosedStdout } from './testing/cli-runner.js';

/**
 * What the built `memberships` does without an API: help, versions, pipes
 * that close early. (Completion scripts: completion.test.ts.)
 */

describe('memberships help', () => {
  it('shows the inherited --api-url in the help of every subcommand', async () => {
    for (const args of [['exports', 'list'], ['export'], ['schedule', 'pause'], ['login'], ['exports'], ['webhooks', 'listen']]) {
      const result = await runCli([...args, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Global Options:\n(.*\n)*? {2}--api-url <url> /m);
    }
  });

  it('gives examples with ids shaped like real ones', async () => {
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
    for (const args of [
      ['exports', 'show'],
      ['exports', 'download'],
      ['exports', 'cancel'],
      ['exports', 'downloads'],
      ['exports', 'revoke-link'],
      ['exports'],
      ['schedule', 'show'],
      ['schedule'],
    ]) {
      const { stdout } = await runCli([...args, '--help']);
      const examples = stdout.slice(stdout.indexOf('Examples:'));
      expect(examples).toMatch(new RegExp(`\\$ memberships ${args.join(' ')} .*${uuid.source}`));
      expect(examples).not.toMatch(/ (ID|<id>)\b/);
    }
    // A monthly export's id: sched-<schedule id>-<when it ran>, as the worker makes them.
    expect((await runCli(['exports', 'show', '--help'])).stdout).toMatch(new RegExp(`sched-${uuid.source}-\\d{8}T\\d{4}Z`));
  });

  it('says what Ctrl+C does while export waits: asks on a terminal, names the cancel command elsewhere', async () => {
    const { stdout } = await runCli(['export', '--help']);
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).toContain(
      'Ctrl+C while waiting, on a terminal: asks "Cancel export ID? The file will not be made or emailed." (default no)',
    );
    expect(text).toContain('Without a terminal, with --json or in CI (CI set) it never asks');
    expect(text).toContain('memberships exports cancel ID');
    expect(text).toContain('exits with code 130');
  });
});

describe('memberships webhooks help', () => {
  it('gives examples with endpoint and delivery ids shaped like real ones', async () => {
    for (const args of [
      ['webhooks', 'show'],
      ['webhooks', 'delete'],
      ['webhooks', 'deliveries'],
      ['webhooks', 'resend'],
      ['webhooks', 'rotate-secret'],
      ['webhooks', 'enable'],
      ['webhooks', 'disable'],
    ]) {
      const { stdout } = await runCli([...args, '--help']);
      const examples = stdout.slice(stdout.indexOf('Examples:'));
      expect(examples).toMatch(new RegExp(`\\$ memberships ${args.join(' ')} we_[0-9a-f]{24}\\b`));
    }
    expect((await runCli(['webhooks', 'resend', '--help'])).stdout).toMatch(/resend we_[0-9a-f]{24} wd_[0-9a-f]{24}\b/);
  });

  it('says that listen is for the local platform or a tunnel, and what Ctrl+C does', async () => {
    const text = (await runCli(['webhooks', 'listen', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(text).toContain('which only the local platform (npm start) accepts');
    expect(text).toContain('run a tunnel to the port and pass its URL with --url');
    expect(text).toContain('Ctrl+C (or SIGTERM) deletes the temporary endpoint and exits 0');
  });
});

describe('memberships version', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

  it('prints the versions of the CLI, the SDK and Node.js, as text and as JSON', async () => {
    const text = await runCli(['version']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`^memberships ${manifest.version.replace(/\./g, '\\.')}\nsdk +\\d+\\.\\d+\\.\\d+\nnode +${process.versions.node}\n$`),
    );

    const json = await runCli(['version', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      cli: manifest.version,
      sdk: expect.stringMatching(/^\d+\.\d+\.\d+/),
      node: process.versions.node,
    });
    expect((await runCli(['--version'])).stdout).toBe(`${manifest.version}\n`);
  });

  it('works whatever the API URL setting says, as it never calls the API', async () => {
    const result = await runCli(['version'], { env: { MEMBERSHIPS_API_URL: 'not a url' } });
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('memberships in a pipe that closes early', () => {
  it('memberships --help | head -1 prints the first line, exits 0 and says nothing on stderr', async () => {
    const result = await runCliInBash('memberships --help | head -1');
    expect(result).toMatchObject({ code: 0, stdout: 'Usage: memberships [options] [command]\n', stderr: '' });
  });

  it('stops quietly with exit code 0 when the reader of stdout has gone', async () => {
    for (const args of [['--help'], ['exports', 'list', '--help'], ['completion', 'bash'], ['version']]) {
      const result = await runCliWithClosedStdout(args);
      expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    }
  });
});
