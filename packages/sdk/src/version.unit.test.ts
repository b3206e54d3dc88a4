import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_VERSION } from './version.js';

it('sends the version of the package in the User-Agent', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  expect(SDK_VERSION).toBe(manifest.version);
});
