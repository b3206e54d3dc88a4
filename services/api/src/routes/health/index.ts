import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { FastifyPluginAsync } from 'fastify';
import pino from 'pino';
import type { LogLevel } from '../../config';
import { NotReadyError } from '../../errors';
import { livenessSchema, readinessSchema, type CheckOutcome } from './schemas';

/** How long each readiness check may take; load balancer probes time out soon after. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

type Check = (signal: AbortSignal) => Promise<unknown>;

/** `/healthz` (liveness) and `/readyz` (readiness), for the load balancer and the orchestrator. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  const checks: Record<'dynamodb' | 'sqs' | 'postgres', Check> = {
    dynamodb: (abortSignal) => app.aws.dynamodb.send(new DescribeTableCommand({ TableName: app.config.tables.jobs }), { abortSignal }),
    sqs: (abortSignal) =>
      app.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: app.config.exportQueueUrl, AttributeNames: ['QueueArn'] }), {
        abortSignal,
      }),
    postgres: () => app.database.ping(),
  };

  // Probes arrive every few seconds: log them only when something is wrong
  // (and never more than the configured level allows).
  const configured = app.config.logLevel === 'silent' ? Infinity : (pino.levels.values[app.config.logLevel] ?? 0);
  const logLevel: LogLevel = configured > pino.levels.values.warn! ? app.config.logLevel : 'warn';

  app.get('/healthz', { schema: livenessSchema, logLevel, config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: readinessSchema, logLevel, config: { access: 'public' } }, async (request) => {
    const names = Object.keys(checks) as (keyof typeof checks)[];
    const outcomes = await Promise.all(
      names.map(async (name) => {
        const outcome = await runCheck(checks[name], READINESS_CHECK_TIMEOUT_MS);
        if (outcome.result !== 'ok')
          request.log.warn({ check: name, outcome: outcome.result, err: outcome.error }, 'readiness check failed');
        return [name, outcome.result] as const;
      }),
    );
    const results = Object.fromEntries(outcomes) as Record<keyof typeof checks, CheckOutcome>;
    const failed = names.filter((name) => results[name] !== 'ok');
    if (failed.length > 0) throw new NotReadyError(failed, results);
    return { status: 'ready', checks: results };
  });
};

export default healthRoutes;

async function runCheck(check: Check, timeoutMs: number): Promise<{ result: CheckOutcome; error?: unknown }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([check(controller.signal).then(() => 'ok' as const), timeout]);
    return { result };
  } catch (error) {
    return { result: 'failed', error };
  } finally {
    clearTimeout(timer);
  }
}
