import { existsSync } from 'node:fs';
import path from 'node:path';
import { LocalPlatformError } from './errors';

/**
 * Files this package runs as separate processes. They are resolved from the
 * package root, not from `__dirname`, because this code runs both compiled
 * (dist/) and from source under ts-jest (src/): the Java launcher is not
 * compiled by tsc and stays in src/, the Node runners exist only compiled.
 */
export const PACKAGE_ROOT = path.resolve(__dirname, '..');
export const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..', '..');

function existing(file: string, hint: string): string {
  if (!existsSync(file)) throw new LocalPlatformError('file_missing', `${file} does not exist. ${hint}`);
  return file;
}

/** A compiled file of this package (dist/...). */
export function builtFile(relative: string): string {
  return existing(path.join(PACKAGE_ROOT, 'dist', relative), 'Build first: `npx tsc --build` from the repository root.');
}

/** A source file that is used as is (src/...). */
export function sourceFile(relative: string): string {
  return existing(path.join(PACKAGE_ROOT, 'src', relative), 'The package is incomplete.');
}

/** A file of an installed npm package, e.g. the DynamoDB Local jar. */
export function dependencyDirectory(packageName: string, ...relative: string[]): string {
  const manifest = require.resolve(`${packageName}/package.json`, { paths: [PACKAGE_ROOT] });
  return existing(path.join(path.dirname(manifest), ...relative), `Run \`npm install\` (${packageName} is missing files).`);
}
