import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateOpenApiDocument, OPENAPI_COMMAND, OPENAPI_FILE, serialiseOpenApiDocument } from './openapi-document';

/**
 * Writes the OpenAPI document generated from the route schemas to
 * services/api/openapi.json (`npm run openapi -w @memberships/api`, after a
 * build). `--check` writes nothing and exits 1 when the file is out of date;
 * `--out <file>` writes elsewhere. Connects to nothing.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { check: { type: 'boolean', default: false }, out: { type: 'string' } },
    strict: true,
  });
  const file = path.resolve(values.out ?? path.join(__dirname, '..', '..', OPENAPI_FILE));
  const text = serialiseOpenApiDocument(await generateOpenApiDocument());

  if (values.check) {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current !== text) {
      process.stderr.write(`${file} is out of date with the route schemas. Regenerate it: ${OPENAPI_COMMAND}\n`);
      process.exit(1);
    }
    process.stdout.write(`${file} is up to date.\n`);
    return;
  }
  await writeFile(file, text);
  process.stdout.write(`Wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Could not generate the OpenAPI document: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
