import { Command, CommanderError, Option } from 'commander';
import { exportCommand } from './commands/export.js';
import { exportsCommand } from './commands/exports.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { scheduleCommand } from './commands/schedule.js';
import { whoamiCommand } from './commands/whoami.js';
import { DEFAULT_API_URL, type CliEnvironment } from './config.js';
import { ConfigStore } from './config-store.js';
import type { CommandContext } from './context.js';
import { EXIT, UsageError } from './errors.js';
import { describeError } from './error-report.js';
import { Output, type Streams } from './output.js';
import { CLI_VERSION } from './version.js';

export interface RunOptions {
  readonly env: CliEnvironment;
  readonly streams: Streams;
  /** Aborted on Ctrl+C. */
  readonly signal: AbortSignal;
}

/** Builds the `memberships` command tree. */
export function createProgram(ctx: CommandContext): Command {
  const program = new Command('memberships')
    .description('Export all your memberships as CSV, from the terminal.')
    .version(CLI_VERSION, '-v, --version', 'print the version')
    .addOption(
      new Option('--api-url <url>', `API to talk to (env: MEMBERSHIPS_API_URL; then ${ctx.store.settingsPath}; default ${DEFAULT_API_URL})`),
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.output.streams.stdout.write(text),
      writeErr: (text) => ctx.output.streams.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error:/, ctx.output.err.red('error:'))),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ memberships login
  $ memberships export --output memberships.csv
  $ memberships exports list
  $ memberships schedule create --day 1 --time 06:00
  $ memberships --api-url https://api.memberships.example whoami

Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (Ctrl+C).`,
    );

  program.hook('preAction', async (_root, action) => {
    const flag = action.optsWithGlobals<{ apiUrl?: string }>().apiUrl;
    const resolved = await resolveApiUrl(ctx, flag);
    ctx.apiUrl = resolved.url;
    ctx.apiUrlSource = resolved.source;
  });

  for (const command of [loginCommand(ctx), logoutCommand(ctx), whoamiCommand(ctx), exportCommand(ctx), exportsCommand(ctx), scheduleCommand(ctx)]) {
    program.addCommand(command);
  }
  // Every command reports through run()'s single exit path rather than exiting itself.
  applyRecursively(program, (command) => command.exitOverride().showHelpAfterError('(add --help for usage)'));
  return program;
}

/**
 * Runs the CLI and returns its exit code. Errors from anywhere end here, in
 * one place: `error: <message>` (+ `hint: <what to do>`) on stderr.
 */
export async function run(argv: readonly string[], options: RunOptions): Promise<number> {
  const output = new Output(options.streams, options.env.noColor);
  const ctx: CommandContext = {
    env: options.env,
    output,
    store: new ConfigStore(options.env.configDir),
    signal: options.signal,
    apiUrl: options.env.apiUrl ?? DEFAULT_API_URL,
    apiUrlSource: options.env.apiUrl ? 'env' : 'default',
  };
  const program = createProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'node' });
    return EXIT.ok;
  } catch (error) {
    return handleError(error, ctx);
  }
}

export function handleError(error: unknown, ctx: CommandContext): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message (or the help / version).
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  const report = describeError(error, { apiUrl: ctx.apiUrl });
  ctx.output.error(report.message, report.suggestion);
  if (ctx.env.debug && error instanceof Error && error.stack) ctx.output.note(ctx.output.err.dim(error.stack));
  return report.exitCode;
}

async function resolveApiUrl(ctx: CommandContext, flag: string | undefined): Promise<{ url: string; source: CommandContext['apiUrlSource'] }> {
  const candidate: { url: string; source: CommandContext['apiUrlSource'] } = flag
    ? { url: flag, source: 'flag' }
    : ctx.env.apiUrl
      ? { url: ctx.env.apiUrl, source: 'env' }
      : await ctx.store.readSettings().then((settings) =>
          settings.apiUrl ? { url: settings.apiUrl, source: 'config' as const } : { url: DEFAULT_API_URL, source: 'default' as const },
        );
  let url: URL;
  try {
    url = new URL(candidate.url);
  } catch {
    throw new UsageError(`"${candidate.url}" (from ${describeSource(candidate.source, ctx)}) is not a valid API URL.`, 'Use a URL like https://api.memberships.example');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The API URL must start with http:// or https://, got "${candidate.url}".`);
  }
  return { url: url.href.replace(/\/+$/, ''), source: candidate.source };
}

function describeSource(source: CommandContext['apiUrlSource'], ctx: CommandContext): string {
  switch (source) {
    case 'flag':
      return '--api-url';
    case 'env':
      return 'MEMBERSHIPS_API_URL';
    case 'config':
      return ctx.store.settingsPath;
    default:
      return 'the default';
  }
}

function applyRecursively(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const child of command.commands) applyRecursively(child, apply);
}
