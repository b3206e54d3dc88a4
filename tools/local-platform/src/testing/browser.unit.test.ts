import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../package-paths';
import { artefactsDirectory, chromiumPath, DEFAULT_CHROMIUM_PATH } from './browser';

/** Where the browser's screenshots may go, and which Chromium it drives: decided without starting one. */
describe('the artefacts directory', () => {
  let outside: string;
  beforeAll(() => {
    outside = mkdtempSync(path.join(os.tmpdir(), 'artefacts-unit-'));
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('is a directory of this run under the system temporary directory by default', () => {
    const directory = artefactsDirectory({});
    expect(path.dirname(directory)).toBe(path.join(os.tmpdir(), 'memberships-artefacts'));
    expect(artefactsDirectory({})).toBe(directory);
  });

  it('is ARTEFACTS_DIR when that is outside the repository', () => {
    const wanted = path.join(outside, 'screens');
    expect(artefactsDirectory({ ARTEFACTS_DIR: wanted })).toBe(wanted);
  });

  it.each([
    ['the repository itself', REPO_ROOT],
    ['a directory inside it', path.join(REPO_ROOT, 'test', 'screenshots')],
    ['a path that climbs back into it', path.join(REPO_ROOT, '..', path.basename(REPO_ROOT), 'artefacts')],
  ])('refuses %s', (_, directory) => {
    expect(() => artefactsDirectory({ ARTEFACTS_DIR: directory })).toThrow(
      expect.objectContaining({ code: 'artefacts_in_repository', message: expect.stringContaining('ARTEFACTS_DIR') }),
    );
  });

  it('refuses a directory outside that is a symbolic link into the repository', () => {
    const link = path.join(outside, 'into-repo');
    symlinkSync(path.join(REPO_ROOT, 'test'), link);
    expect(() => artefactsDirectory({ ARTEFACTS_DIR: path.join(link, 'screens') })).toThrow(
      expect.objectContaining({ code: 'artefacts_in_repository' }),
    );
  });

  it('accepts a sibling whose name merely starts like the repository', () => {
    const sibling = `${REPO_ROOT}-artefacts`;
    expect(artefactsDirectory({ ARTEFACTS_DIR: sibling })).toBe(sibling);
  });
});

describe('the Chromium it drives', () => {
  it("is Debian's unless CHROMIUM_PATH names another", () => {
    expect(DEFAULT_CHROMIUM_PATH).toBe('/usr/bin/chromium');
    expect(chromiumPath({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
  });

  it('is reported missing with how to install it', () => {
    expect(() => chromiumPath({ CHROMIUM_PATH: '/nonexistent/chromium' })).toThrow(
      expect.objectContaining({ code: 'browser_missing', message: expect.stringContaining('apt-get install chromium') }),
    );
  });
});
