import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { LocalPlatformError } from '../errors';
import { DEFAULT_CHROMIUM_PATH } from '../testing/browser';

const run = promisify(execFile);

/**
 * The browser tests render emails and pages in Debian's Chromium, which npm
 * cannot install. So that `npm ci` and `npm test` stay the whole set-up on a
 * fresh Debian machine, the jest global setup installs the `chromium`
 * package when it is missing and it can (root, apt-get: CI machines and
 * containers); elsewhere it says what to install. CHROMIUM_PATH names
 * another browser and turns the install off. `.ci/run` installs it too, before
 * `npm ci`, so CI never waits here.
 */
export async function ensureChromium(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw missing(`CHROMIUM_PATH names ${env.CHROMIUM_PATH}, which does not exist.`);
    return;
  }
  if (existsSync(DEFAULT_CHROMIUM_PATH)) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw missing(
      `No Chromium at ${DEFAULT_CHROMIUM_PATH}: install Debian's package (sudo apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
  log("jest setup: installing Debian's Chromium for the browser tests (apt-get install chromium; once per machine)");
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 };
  try {
    await run('apt-get', ['update', '-qq'], apt);
    await run('apt-get', ['install', '-y', '-qq', 'chromium'], apt);
  } catch (error) {
    throw missing(`apt-get install chromium failed: ${(error as Error).message}`);
  }
  if (!existsSync(DEFAULT_CHROMIUM_PATH)) throw missing(`apt-get installed chromium, but ${DEFAULT_CHROMIUM_PATH} is still missing.`);
}

function missing(message: string): LocalPlatformError {
  return new LocalPlatformError('browser_missing', message);
}
