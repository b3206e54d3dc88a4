import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { exportFileExtension } from '@memberships/core/contract';
import { type CreatedExport, type ExportJob, exportFileName } from '@memberships/sdk';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { interruptedRequest, waitOfferingCancel } from '../export-interrupt.js';
import { addExportFlags, EXPORT_FLAGS_HELP, exportRequestOf, type ParsedExportFlags } from '../export-flags.js';
import { describeExportOptions, formatBytes, formatCount, formatProgress } from '../format.js';
import { idempotencyKey, integerBetween, outputPath } from '../option-parsers.js';
import { checkOutputExtension, checkOutputPath } from '../output-target.js';
import { ProgressLine } from '../progress.js';
import { signedInClient } from '../session.js';
import { saveFile } from './exports-download.js';

interface ExportOptions extends ParsedExportFlags {
  output?: string;
  wait: boolean;
  json?: boolean;
  idempotencyKey?: string;
  timeout?: number;
  force?: boolean;
}

export function exportCommand(ctx: CommandContext): Command {
  const command = new Command('export')
    .description(
      'Export your memberships (all of them as CSV, or the columns, rows and format you choose): request it, follow its progress, and optionally download the file.',
    )
    .option(
      '-o, --output <file>',
      'download the file to this path when it is ready, or into this folder under its own name ("-" for stdout)',
      outputPath,
    )
    .option('-f, --force', 'replace the --output file if it exists')
    .option('--no-wait', 'return at once with the export id instead of waiting for the file')
    .option('--json', 'print the export as JSON')
    .option('--idempotency-key <key>', 'retry safely: the same key returns the same export instead of a new one', idempotencyKey)
    .option('--timeout <seconds>', 'stop waiting after this many seconds (the export carries on)', integerBetween(1, 86_400));
  return addExportFlags(command, '--time-zone')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships export                          # wait until it is built and emailed
  $ memberships export --output memberships.csv # and download it
  $ memberships export -o memberships.csv --force  # replacing last time's file
  $ memberships export --no-wait                # print the export id and return
  $ memberships export --json --idempotency-key "nightly-$(date +%F)"
  $ memberships export --format xlsx --columns id,club_name,status,price --output .
  $ memberships export --status active,paused --club "Zürich Ruderclub" --active-on 2026-06-30 -o active.csv
  $ memberships export --excel --locale de-DE --time-zone Europe/Berlin -o mitglieder.csv
  $ memberships export --format jsonl --gzip --started-from 2026-01-01 --output .   # memberships-<day>-<id>.jsonl.gz

${EXPORT_FLAGS_HELP}

--output is checked before the export is requested: its folder must exist and be writable,
an existing file is only replaced with --force, and a name ending in .csv, .xlsx, .jsonl
or .gz must be the one the file gets (an .xlsx is not saved as .csv). A folder gets the
file under its own name, memberships-<day>-<id> and the extension of its format.
Progress (rows done / total) is shown on stderr when it is a terminal.

Ctrl+C while waiting, on a terminal: asks "Cancel export ID? The file will not be
made or emailed." (default no). Yes cancels it; no, or Ctrl+C again, leaves it
running (still emailed). Without a terminal, with --json or in CI (CI set) it never
asks: the export carries on, and the hint names the command that cancels it
(memberships exports cancel ID). Ctrl+C before the export has an id only stops
the request. Each of these exits with code 130.`,
    )
    .action(async (options: ExportOptions) => {
      if (options.json && options.output === '-') {
        throw new UsageError(
          '--json and --output - would both write to stdout.',
          'Write the file somewhere else: --output memberships.csv',
        );
      }
      if (!options.wait && options.output) {
        throw new UsageError(
          '--output needs the finished file, so it cannot be combined with --no-wait.',
          'Drop --no-wait, or download later with: memberships exports download ID --output FILE',
        );
      }
      const force = Boolean(options.force);
      const request = exportRequestOf(options, '--time-zone');
      // Before the export is requested: a typo in the path must not cost an export (nor a wait).
      const into = options.output ? await checkOutputPath(options.output, { force, folder: true }) : undefined;
      if (options.output && into === 'file' && options.output !== '-') {
        const extension = exportFileExtension({ format: request?.format ?? 'csv', compression: request?.compression ?? 'none' });
        checkOutputExtension(
          options.output,
          extension,
          request?.format || request?.compression ? flagsNamed(request) : 'an export without --format',
        );
      }
      const client = await signedInClient(ctx);
      // Ctrl+C before the answer: say whether the export may exist, as nothing knows its id yet.
      if (ctx.signal.aborted) throw interruptedRequest(false, options.idempotencyKey);
      let created: CreatedExport;
      try {
        created = await client.exports.create(request ?? {}, { idempotencyKey: options.idempotencyKey, signal: ctx.signal });
      } catch (error) {
        if (ctx.signal.aborted) throw interruptedRequest(true, options.idempotencyKey);
        throw error;
      }
      const { job, existing } = created;
      if (existing) {
        ctx.output.note(`An export of yours is already under way (${job.id}); following it instead of starting another.`);
        if (request)
          ctx.output.note(`It makes ${describeExportOptions(job.options).join('; ')}; ask again for yours once it has finished.`);
      }

      if (!options.wait) {
        if (options.json) ctx.output.json(job);
        else ctx.output.result(job.id);
        ctx.output.note(`Export ${job.id} is ${job.state}. Follow it with: memberships exports show ${job.id}`);
        return;
      }

      // Ctrl+C asks whether to cancel only when a person can answer: a script or CI gets the cancel command instead.
      const askable = Boolean(ctx.output.streams.stdin.isTTY) && ctx.output.interactive && !options.json && !ctx.env.ci;
      if (!ctx.output.interactive) {
        // No progress line off a terminal; say at least which export is awaited, for logs.
        ctx.output.note(`Waiting for export ${job.id} to finish (Ctrl+C stops waiting; the export carries on).`);
      }
      const progress = new ProgressLine(ctx.output);
      let finished: ExportJob;
      try {
        finished = await waitOfferingCancel({
          jobId: job.id,
          askable,
          signal: ctx.signal,
          interrupts: ctx.interrupts,
          outputFile: options.output === '-' ? undefined : options.output,
          wait: (signal) =>
            client.exports.wait(job.id, {
              signal,
              onProgress: progress.update,
              timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
            }),
          stopDisplay: () => progress.clear(),
          confirm: async (message, signal) => {
            // Loaded only when there is something to ask: keeps every other run quick to start.
            const { confirm } = await import('@inquirer/prompts');
            return confirm({ message, default: false }, { input: ctx.output.streams.stdin, output: ctx.output.streams.stderr, signal });
          },
          cancel: (id, signal) => client.exports.cancel(id, { signal }),
          note: (line) => ctx.output.note(line),
        });
      } finally {
        progress.clear();
      }

      // A folder: the file's own name, from the job that made it (an export already under way may differ from the flags).
      const output = into === 'folder' && options.output ? join(options.output, exportFileName(finished)) : options.output;
      if (output && into === 'folder') await checkOutputPath(output, { force });
      const saved = output
        ? await saveFile(ctx, client, finished.id, output, {
            force,
            retry: `memberships exports download ${finished.id} --output ${options.output}`,
          })
        : undefined;
      if (options.json) {
        ctx.output.json(finished);
      } else {
        // With the CSV itself on stdout, the summary goes to stderr.
        const say = options.output === '-' ? (line: string) => ctx.output.note(line) : (line: string) => ctx.output.result(line);
        const file = finished.file;
        say(
          `Export ${finished.id} succeeded: ${file ? `${formatCount(file.rows)} rows, ${formatBytes(file.bytes)}` : formatProgress(finished.progress)}.`,
        );
        if (finished.delivery) {
          const how = finished.delivery.method === 'attachment' ? 'as an attachment' : 'as a download link';
          say(`Emailed to ${finished.delivery.to} ${how}.`);
        }
        if (saved && output !== '-') say(`Saved to ${resolve(output ?? '')}.`);
      }
    });
}

/** `--format xlsx --gzip`: the flags that decide the file's extension, as given. */
function flagsNamed(request: { readonly format?: string | undefined; readonly compression?: string | undefined }): string {
  return [request.format ? `--format ${request.format}` : '', request.compression === 'gzip' ? '--gzip' : ''].filter(Boolean).join(' ');
}
