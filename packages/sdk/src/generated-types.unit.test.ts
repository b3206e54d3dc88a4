import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The SDK's types are generated from the API's checked-in OpenAPI document and
 * never edited by hand. This regenerates them in memory with openapi-typescript's
 * Node API, exactly as `npm run generate -w @memberships/sdk` writes them, and
 * fails when the checked-in file has drifted from the document.
 *
 * The generator runs in a child Node process because its dependencies are ES
 * modules only, which jest's CommonJS runtime cannot load.
 */
const packageDir = resolve(__dirname, '..');
const document = resolve(packageDir, '..', '..', 'services', 'api', 'openapi.json');
const generated = resolve(packageDir, 'src', 'generated', 'api.ts');

const generator = `
import { pathToFileURL } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
const ast = await openapiTS(pathToFileURL(process.argv[1]), { silent: true });
process.stdout.write(COMMENT_HEADER + astToString(ast));
`;

it('src/generated/api.ts matches services/api/openapi.json', async () => {
  if (!existsSync(document)) {
    throw new Error(`${document} does not exist: the API writes its OpenAPI document there, and the SDK's types are generated from it.`);
  }
  const { stdout: fresh } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', generator, document], {
    cwd: packageDir,
    maxBuffer: 64 * 1024 * 1024,
  });
  const checkedIn = readFileSync(generated, 'utf8');
  if (checkedIn !== fresh) {
    throw new Error('src/generated/api.ts is stale: run `npm run generate -w @memberships/sdk` and commit the result.');
  }
  expect(fresh).toContain('"/v1/exports/{id}"');
  expect(fresh).toContain('"/v1/export-schedules/{id}"');
});
