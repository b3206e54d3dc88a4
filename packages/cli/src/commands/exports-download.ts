import { resolve } from 'node:path';
import { Command } from 'commander';
import type { DownloadResult, MembershipsClient } from '@memberships/sdk';
import type { CommandContext } from '../context.js';
import { InterruptedError } from '../errors.js';
import { formatBytes, formatCount } from '../format.js';
import { outputPath } from '../option-parsers.js';
import { signedInClient } from '../session.js';

/** Downloads the file of a finished export to `output` (or stdout for "-"), checked against its SHA-256. */
export async function saveFile(ctx: CommandContext, client: MembershipsClient, id: string, output: string): Promise<DownloadResult> {
  const target = output === '-' ? { stream: ctx.output.streams.stdout, end: false } : { path: resolve(output) };
  try {
    return await client.exports.download(id, target, { signal: ctx.signal });
  } catch (error) {
    if (ctx.signal.aborted) throw new InterruptedError(output === '-' ? undefined : `Nothing was written to ${output}.`);
    throw error;
  }
}

export function exportsDownloadCommand(ctx: CommandContext): Command {
  return new Command('download')
    .description('Download the CSV of a finished export (checked against its SHA-256; written atomically).')
    .argument('<id>', 'export id')
    .requiredOption('-o, --output <file>', 'where to write the CSV ("-" for stdout)', outputPath)
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports download 01JD4V5Q2M8X --output memberships.csv
  $ memberships exports download 01JD4V5Q2M8X --output - | head`,
    )
    .action(async (id: string, options: { output: string }) => {
      const client = await signedInClient(ctx);
      const saved = await saveFile(ctx, client, id, options.output);
      if (options.output !== '-') {
        const rows = saved.job.file ? `${formatCount(saved.job.file.rows)} rows, ` : '';
        ctx.output.result(`Saved ${rows}${formatBytes(saved.bytes)} to ${saved.path}.`);
      }
    });
}
