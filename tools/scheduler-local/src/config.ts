import { ConfigError } from '@memberships/core/contract';
import { EnvReader } from '@memberships/core/config';

/**
 * Settings of the runner (`node dist/runner.js [port]`), the one place this
 * package reads `process.env`. In-process users pass options to
 * startSchedulerLocal() instead.
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | AWS_REGION | region of the SQS client and of schedule ARNs | us-east-1 |
 * | AWS_ENDPOINT_URL_SQS | the SQS endpoint schedules fire into (local emulator) | unset: real SQS, default credentials |
 * | AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY | keys it delivers with (locally: the schedule role's, which the IAM gate recognises) | fixed local keys |
 * | SCHEDULER_CLOCK | `real` (wall clock, checked every tick) or `manual` (moved by POST /_test/clock) | real |
 * | SCHEDULER_TICK_MS | how often a real clock checks for due schedules | 1000 |
 * | SCHEDULER_START_TIME | ISO start time of a manual clock | now |
 * | SCHEDULER_ACCOUNT_ID | account id in schedule ARNs | 000000000000 |
 * | SCHEDULER_MAX_FIRINGS_PER_CLOCK_MOVE | a clock move firing more is refused | 10000 |
 * | LOG_LEVEL | pino level | info |
 *
 * The port is the first argument (0 or none: a free port, printed as `listening <port>`).
 */
export interface RunnerConfig {
  readonly port: number;
  readonly region: string;
  readonly sqsEndpoint: string | undefined;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly clock: 'real' | 'manual';
  readonly tickMs: number;
  readonly startTime: Date | undefined;
  readonly accountId: string;
  readonly maxFiringsPerClockMove: number;
  readonly logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = process.argv.slice(2)): RunnerConfig {
  const reader = new EnvReader(env);
  const accessKeyId = reader.optionalString('AWS_ACCESS_KEY_ID');
  const secretAccessKey = reader.optionalString('AWS_SECRET_ACCESS_KEY');
  const config = {
    region: reader.string('AWS_REGION', 'us-east-1'),
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    sqsEndpoint: reader.optionalUrl('AWS_ENDPOINT_URL_SQS'),
    clock: reader.string('SCHEDULER_CLOCK', 'real'),
    tickMs: reader.integer('SCHEDULER_TICK_MS', 1000, { min: 1, max: 3_600_000 }),
    startTime: reader.optionalString('SCHEDULER_START_TIME'),
    accountId: reader.string('SCHEDULER_ACCOUNT_ID', '000000000000'),
    maxFiringsPerClockMove: reader.integer('SCHEDULER_MAX_FIRINGS_PER_CLOCK_MOVE', 10_000, { min: 1 }),
    logLevel: reader.string('LOG_LEVEL', 'info'),
  };
  // Every problem at once, the reader's and ours, so one run tells all there is to fix.
  const problems: string[] = [];
  try {
    reader.done();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.message.split('\n  - ').slice(1));
  }
  const portText = args[0] ?? '0';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    problems.push(`the port argument must be an integer between 0 and 65535, got "${portText}"`);
  if (config.clock !== 'real' && config.clock !== 'manual')
    problems.push(`SCHEDULER_CLOCK must be "real" or "manual", got "${config.clock}"`);
  const startTime = config.startTime === undefined ? undefined : new Date(config.startTime);
  if (startTime && Number.isNaN(startTime.getTime()))
    problems.push(`SCHEDULER_START_TIME must be an ISO 8601 date-time, got "${config.startTime}"`);
  if (!/^\d{12}$/.test(config.accountId)) problems.push(`SCHEDULER_ACCOUNT_ID must be 12 digits, got "${config.accountId}"`);
  if (!LOG_LEVELS.includes(config.logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${config.logLevel}"`);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  return Object.freeze({ ...config, port, clock: config.clock as 'real' | 'manual', startTime });
}
