import { Command, CommanderError, Option } from 'commander';
import { completionCommand } from './commands/completion.js';
import { exportCommand } from './commands/export.js';
import { exportsCommand } from './commands/exports.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { scheduleCommand } from './commands/schedule.js';
import { settingsCommand } from './commands/settings.js';
import { versionCommand } from './commands/version.js';
import { webhooksCommand } from './commands/webhooks.js';
import { whoamiCommand } from './commands/whoami.js';
import { DEFAULT_API_URL, type CliEnvironment } from './config.js';
import { ConfigStore } from './config-store.js';
import type { CommandContext } from './context.js';
import { EXIT, UsageError, type ApiUrlSource } from './errors.js';
import { describeError } from './error-report.js';
import type { Interrupts } from './interrupts.js';
import { Output, type Streams } from './output.js';
import { CLI_VERSION } from './version.js';

export interface RunOptions {
  readonly env: CliEnvironment;
  readonly streams: Streams;
  /** Ctrl+C: aborts `signal` unless a command intercepts it. */
  readonly interrupts: Interrupts;
}

/** Builds the `memberships` command tree. */
export function createProgram(ctx: CommandContext): Command {
  const program = new Command('memberships')
    .description('Export all your memberships as CSV, from the terminal.')
    .version(CLI_VERSION, '-v, --version', 'print the version')
    .addOption(
      new Option(
        '--api-url <url>',
        `API to talk to (else MEMBERSHIPS_API_URL, else the API you logged in to, else api_url in ${ctx.store.settingsPath}, else ${DEFAULT_API_URL})`,
      ),
    )
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.output.streams.stdout.write(text),
      writeErr: (text) => ctx.output.streams.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error:/, ctx.output.err.red('error:'))),
    })
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      `
Examples:
  $ memberships login
  $ memberships export --output memberships.csv
  $ memberships exports list
  $ memberships exports show 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships schedule create --day 1 --time 06:00
  $ memberships webhooks listen
  $ memberships login --api-url https://api.memberships.example   # later commands use the API you logged in to
  $ source <(memberships completion bash)

Exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (Ctrl+C).`,
    );

  program.hook('preAction', async (_root, action) => {
    // `version` and `completion` never talk to the API: a bad URL setting must not stop them.
    if (offline.has(action)) return;
    const flag = action.optsWithGlobals<{ apiUrl?: string }>().apiUrl;
    const resolved = await resolveApiUrl(ctx, flag);
    ctx.apiUrl = resolved.url;
    ctx.apiUrlSource = resolved.source;
  });

  const offline = new Set<Command>([versionCommand(ctx), completionCommand(ctx, program)]);
  for (const command of [
    loginCommand(ctx),
    logoutCommand(ctx),
    whoamiCommand(ctx),
    exportCommand(ctx),
    exportsCommand(ctx),
    scheduleCommand(ctx),
    settingsCommand(ctx),
    webhooksCommand(ctx),
    ...offline,
  ]) {
    program.addCommand(command);
  }
  // Commands built on their own and then added do not inherit the root's
  // settings (commander copies them only in .command()): every command writes
  // through ctx.output, reports through run()'s single exit path rather than
  // exiting itself, and lists the options it inherits (--api-url) in its help.
  applyRecursively(program, (command) => {
    if (command !== program && command.parent) command.copyInheritedSettings(command.parent);
  });
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
    signal: options.interrupts.signal,
    interrupts: options.interrupts,
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
  if (!report.reported) ctx.output.error(report.message, report.suggestion);
  if (ctx.env.debug && error instanceof Error && error.stack) ctx.output.note(ctx.output.err.dim(error.stack));
  return report.exitCode;
}

/**
 * The API of this run: --api-url, else MEMBERSHIPS_API_URL, else the API the
 * stored session belongs to (so a login with either of those keeps working
 * without them), else config.json, else the default.
 */
async function resolveApiUrl(ctx: CommandContext, flag: string | undefined): Promise<{ url: string; source: ApiUrlSource }> {
  const candidate: { url: string; source: ApiUrlSource } = flag
    ? { url: flag, source: 'flag' }
    : ctx.env.apiUrl
      ? { url: ctx.env.apiUrl, source: 'env' }
      : await storedApiUrl(ctx);
  let url: URL;
  try {
    url = new URL(candidate.url);
  } catch {
    throw new UsageError(
      `"${candidate.url}" (from ${describeSource(candidate.source, ctx)}) is not a valid API URL.`,
      'Use a URL like https://api.memberships.example',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The API URL must start with http:// or https://, got "${candidate.url}".`);
  }
  return { url: url.href.replace(/\/+$/, ''), source: candidate.source };
}

async function storedApiUrl(ctx: CommandContext): Promise<{ url: string; source: ApiUrlSource }> {
  // A damaged credentials file is reported by the command that needs the session, not here.
  const session = await ctx.store.readCredentials().catch(() => undefined);
  if (session) return { url: session.apiUrl, source: 'credentials' };
  const settings = await ctx.store.readSettings();
  return settings.apiUrl ? { url: settings.apiUrl, source: 'config' } : { url: DEFAULT_API_URL, source: 'default' };
}

function describeSource(source: ApiUrlSource, ctx: CommandContext): string {
  switch (source) {
    case 'flag':
      return '--api-url';
    case 'env':
      return 'MEMBERSHIPS_API_URL';
    case 'credentials':
      return ctx.store.credentialsPath;
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
