import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { type DownloadResult, exportFileName, type MembershipsClient } from '@memberships/sdk';
import type { CommandContext } from '../context.js';
import { InterruptedError } from '../errors.js';
import { formatBytes, formatCount } from '../format.js';
import { outputPath } from '../option-parsers.js';
import { checkOutputPath, placeFile } from '../output-target.js';
import { signedInClient } from '../session.js';

export interface SaveOptions {
  /** Replace an existing file. */
  readonly force: boolean;
  /** The command that would download it again, for the hint when the file appeared meanwhile. */
  readonly retry: string;
}

/**
 * Downloads the file of a finished export to `output` (or stdout for "-"),
 * checked against its SHA-256. The SDK writes it complete beside the
 * destination; it is then moved into place without replacing an existing
 * file unless `force`.
 */
export async function saveFile(
  ctx: CommandContext,
  client: MembershipsClient,
  id: string,
  output: string,
  options: SaveOptions,
): Promise<DownloadResult> {
  if (output === '-') {
    try {
      return await client.exports.download(id, { stream: ctx.output.streams.stdout, end: false }, { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw new InterruptedError();
      throw error;
    }
  }
  const path = resolve(output);
  const staged = join(dirname(path), `.${basename(path)}.${randomUUID().slice(0, 8)}.download`);
  try {
    const saved = await client.exports.download(id, { path: staged }, { signal: ctx.signal });
    await placeFile(staged, path, options);
    return { ...saved, path };
  } catch (error) {
    await rm(staged, { force: true });
    if (ctx.signal.aborted) throw new InterruptedError(`Nothing was written to ${output}.`);
    throw error;
  }
}

export function exportsDownloadCommand(ctx: CommandContext): Command {
  return new Command('download')
    .description('Download the file of a finished export (checked against its SHA-256; written atomically).')
    .argument('<id>', 'export id (see: memberships exports list)')
    .requiredOption(
      '-o, --output <file>',
      'where to write the file, or a folder to save it in under its own name with its extension ("-" for stdout)',
      outputPath,
    )
    .option('-f, --force', 'replace the file if it exists')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --output memberships.csv
  $ memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --output memberships.csv --force   # replace it
  $ memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --output - | head
  $ memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --output .   # ./memberships-<day>-<id>.xlsx, .csv.gz...
  $ memberships exports download sched-6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f-20261201T0500Z -o december.csv

An existing file is left alone unless you pass --force. Monthly exports have ids of the form
sched-<schedule id>-<time it ran>.`,
    )
    .action(async (id: string, options: { output: string; force?: boolean }) => {
      const force = Boolean(options.force);
      const into = await checkOutputPath(options.output, { force, folder: true });
      const client = await signedInClient(ctx);
      let output = options.output;
      if (into === 'folder') {
        // Its own name, with the extension its format and compression give it.
        output = join(options.output, exportFileName(await client.exports.get(id, { signal: ctx.signal })));
        await checkOutputPath(output, { force });
      }
      const saved = await saveFile(ctx, client, id, output, {
        force,
        retry: `memberships exports download ${id} --output ${options.output}`,
      });
      if (options.output !== '-') {
        const rows = saved.job.file ? `${formatCount(saved.job.file.rows)} rows, ` : '';
        ctx.output.result(`Saved ${rows}${formatBytes(saved.bytes)} to ${saved.path}.`);
      }
    });
}
