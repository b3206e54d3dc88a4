import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_VERSION } from './version.js';

it('prints the version of the package', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  expect(CLI_VERSION).toBe(manifest.version);
});
