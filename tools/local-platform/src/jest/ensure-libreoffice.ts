import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { DEFAULT_SOFFICE_PATH } from '../testing/spreadsheet';

const run = promisify(execFile);

/**
 * The spreadsheet tests open export files in LibreOffice Calc headless, which npm cannot
 * install. So that `npm ci` and `npm test` stay the whole set-up on a fresh Debian machine, the
 * jest global setup installs Debian's `libreoffice-calc-nogui` (Calc without the GUI toolkits)
 * when soffice is missing and it can (root, apt-get: CI machines and containers). Elsewhere, or
 * when the install fails, it says what to install and lets the run go on: only the spreadsheet
 * tests need Calc, and they fail with the same message (sofficePath), every other suite runs.
 * SOFFICE_PATH names another soffice and turns the install off. `.ci/run` installs it too,
 * before `npm ci`, so CI never waits here.
 */
export async function ensureLibreOffice(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const missing = (reason: string) => log(`jest setup: ${reason}; the spreadsheet tests will fail until it is there.`);
  if (env.SOFFICE_PATH) {
    if (!existsSync(env.SOFFICE_PATH)) missing(`SOFFICE_PATH names ${env.SOFFICE_PATH}, which does not exist`);
    return;
  }
  if (existsSync(DEFAULT_SOFFICE_PATH)) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    missing(
      `No LibreOffice at ${DEFAULT_SOFFICE_PATH}: install Debian's Calc (sudo apt-get install libreoffice-calc-nogui) or set SOFFICE_PATH`,
    );
    return;
  }
  log(
    "jest setup: installing Debian's LibreOffice Calc for the spreadsheet tests (apt-get install libreoffice-calc-nogui; once per machine)",
  );
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 * 1024 * 1024 };
  try {
    await run('apt-get', ['update', '-qq'], apt);
    await run('apt-get', ['install', '-y', '-qq', 'libreoffice-calc-nogui'], apt);
  } catch (error) {
    missing(`apt-get install libreoffice-calc-nogui failed: ${(error as Error).message}`);
    return;
  }
  if (!existsSync(DEFAULT_SOFFICE_PATH)) missing(`apt-get installed libreoffice-calc-nogui, but ${DEFAULT_SOFFICE_PATH} is still missing`);
}
