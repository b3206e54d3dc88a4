import { ConfigError } from '@memberships/core/contract';
import { custom, integer, logLevelVariable, oneOf, readConfig, string, url } from '@memberships/core/config';

/**
 * Settings of the runner (`node dist/runner.js [port]`), the one place this
 * package reads `process.env`. In-process users pass options to
 * startSchedulerLocal() instead.
 *
 * The variables are described once, in `runnerVariables` below (type,
 * default, meaning); the README's table lists them.
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

/** The runner's variables, described once (the table above and the README's say the same). */
export const runnerVariables = {
  AWS_REGION: string({ default: 'us-east-1', doc: 'region of the SQS client and of schedule ARNs' }),
  AWS_ENDPOINT_URL_SQS: url({ optional: true, doc: 'the SQS endpoint schedules fire into; unset: real SQS' }),
  AWS_ACCESS_KEY_ID: string({
    optional: true,
    defaultDoc: 'fixed local keys',
    doc: "key it delivers with (locally: the schedule role's, which the IAM gate recognises), with AWS_SECRET_ACCESS_KEY",
  }),
  AWS_SECRET_ACCESS_KEY: string({ optional: true, defaultDoc: 'fixed local keys', doc: 'secret of AWS_ACCESS_KEY_ID' }),
  SCHEDULER_CLOCK: oneOf(['real', 'manual'], {
    default: 'real',
    doc: '`real` (wall clock) or `manual` (moved by POST /_test/clock)',
    message: (raw, name) => `${name} must be "real" or "manual", got "${raw}"`,
  }),
  SCHEDULER_TICK_MS: integer({ default: 1000, min: 1, max: 3_600_000, doc: 'how often a real clock checks for due schedules' }),
  SCHEDULER_START_TIME: custom({
    optional: true,
    type: 'ISO 8601 date-time',
    defaultDoc: 'now',
    doc: 'start time of a manual clock',
    parse: (raw, name) => {
      const date = new Date(raw);
      if (Number.isNaN(date.getTime())) throw new ConfigError(`${name} must be an ISO 8601 date-time, got "${raw}"`);
      return date;
    },
  }),
  SCHEDULER_ACCOUNT_ID: string({
    default: '000000000000',
    pattern: { regex: /^\d{12}$/, description: '12 digits' },
    doc: 'account id in schedule ARNs',
  }),
  SCHEDULER_MAX_FIRINGS_PER_CLOCK_MOVE: integer({ default: 10_000, min: 1, doc: 'a clock move firing more is refused' }),
  LOG_LEVEL: logLevelVariable,
};

export function loadRunnerConfig(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = process.argv.slice(2)): RunnerConfig {
  const portText = args[0] ?? '0';
  const port = Number(portText);
  // The argument is checked with the variables, so one run tells all there is to fix.
  const portArgument = () =>
    /^\d+$/.test(portText) && port <= 65_535 ? undefined : `the port argument must be an integer between 0 and 65535, got "${portText}"`;
  const values = readConfig(runnerVariables, env, [portArgument]);
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = values;
  return Object.freeze({
    port,
    region: values.AWS_REGION,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    sqsEndpoint: values.AWS_ENDPOINT_URL_SQS,
    clock: values.SCHEDULER_CLOCK,
    tickMs: values.SCHEDULER_TICK_MS,
    startTime: values.SCHEDULER_START_TIME,
    accountId: values.SCHEDULER_ACCOUNT_ID,
    maxFiringsPerClockMove: values.SCHEDULER_MAX_FIRINGS_PER_CLOCK_MOVE,
    logLevel: values.LOG_LEVEL,
  });
}
