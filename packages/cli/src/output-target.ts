import { constants } from 'node:fs';
import { access, link, lstat, rename, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';

/**
 * `--output FILE` refused before anything happened: no export was requested
 * and nothing was downloaded or written. Exit code 2, like other arguments
 * that cannot work as given.
 */
export class OutputPathError extends CliError {
  constructor(code: string, message: string, suggestion: string) {
    super(code, message, { suggestion, exitCode: EXIT.usage });
  }
}

/**
 * Checks that the CSV can be written to `output` (`-` is stdout): its folder
 * exists and is writable, and it is not a folder, not a device or pipe (the
 * file is renamed into place, which would replace those), and not an existing
 * file unless `force`. With `folder`, an existing folder is fine too (the
 * file is then saved in it under its own name): says which it is. Run before
 * requesting or downloading, so a typo costs nothing; placeFile checks again
 * when the file is ready.
 */
export async function checkOutputPath(output: string, options: { force: boolean; folder?: boolean }): Promise<'file' | 'folder'> {
  if (output === '-') return 'file';
  const path = resolve(output);
  const target = await statOrUndefined(() => stat(path));
  if (target?.isDirectory() && options.folder) {
    await checkWritableFolder(path);
    return 'folder';
  }
  if (target?.isDirectory()) {
    throw new OutputPathError(
      'output_is_directory',
      `${output} is a folder.`,
      `Name a file in it: --output ${join(output, 'memberships.csv')}`,
    );
  }
  const entry = await statOrUndefined(() => lstat(path));
  if (entry && !entry.isFile() && !entry.isSymbolicLink()) {
    throw new OutputPathError(
      'output_not_a_file',
      `${output} is not a regular file.`,
      'To write the CSV to a device or pipe, use --output - and redirect stdout.',
    );
  }
  if (entry && !options.force) {
    throw new OutputPathError('output_exists', `${output} already exists.`, 'Pass --force to replace it, or choose another file.');
  }
  await checkWritableFolder(dirname(path));
  return 'file';
}

async function checkWritableFolder(folder: string): Promise<void> {
  const parent = await statOrUndefined(() => stat(folder));
  if (!parent) {
    throw new OutputPathError(
      'output_folder_missing',
      `The folder ${folder} does not exist.`,
      `Create it first (mkdir -p ${folder}) or choose another folder.`,
    );
  }
  if (!parent.isDirectory()) {
    throw new OutputPathError('output_folder_missing', `${folder} is not a folder.`, 'Choose a file in an existing folder.');
  }
  try {
    // The file is written beside its destination and renamed: the folder must take new files.
    await access(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new OutputPathError('output_not_writable', `Cannot write to the folder ${folder}.`, 'Choose a folder you can write to.');
  }
}

/**
 * Moves the finished file `staged` to `path`. Without `force` an existing file
 * is never replaced, not even one that appeared during the download: a hard
 * link fails if `path` exists, atomically. (On file systems without hard
 * links, a check just before the rename has to do.)
 */
export async function placeFile(staged: string, path: string, options: { force: boolean; retry: string }): Promise<void> {
  if (options.force) {
    await rename(staged, path);
    return;
  }
  try {
    await link(staged, path);
    await rm(staged, { force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw appeared(path, options.retry);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS'].includes(code ?? '')) throw error;
  }
  if (await statOrUndefined(() => lstat(path))) throw appeared(path, options.retry);
  await rename(staged, path);
}

function appeared(path: string, retry: string): CliError {
  return new CliError('output_exists', `${path} appeared while the export was downloading; it was left as it was.`, {
    suggestion: `To replace it: ${retry} --force`,
  });
}

async function statOrUndefined(read: () => Promise<Stats>): Promise<Stats | undefined> {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The extensions of export files: a name ending in one of them says which file it expects. */
const EXPORT_EXTENSIONS = ['.csv.gz', '.xlsx.gz', '.jsonl.gz', '.csv', '.xlsx', '.jsonl', '.gz'];

/**
 * Refuses `--output report.csv` for a file that is something else (an
 * `.xlsx`, a `.csv.gz`): saved under that name it would open in the wrong
 * program, or not at all. Names without such an extension are taken as given.
 */
export function checkOutputExtension(output: string, extension: string, flags: string): void {
  const name = basename(output).toLowerCase();
  const claimed = EXPORT_EXTENSIONS.find((candidate) => name.endsWith(candidate));
  if (!claimed || name.endsWith(extension)) return;
  const stem = basename(output).slice(0, -claimed.length);
  throw new OutputPathError(
    'output_extension_mismatch',
    `${output} ends in ${claimed}, but ${flags} makes a ${extension} file.`,
    `Name it ${stem}${extension}, or give a folder (--output .) to save it under its own name.`,
  );
}
