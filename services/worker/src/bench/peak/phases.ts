import { randomUUID } from 'node:crypto';
import { clearEmails, type RunningService } from '@memberships/local-platform';
import { mapLimit, type BenchPlatform, type BenchUser, type PhaseServices } from './bench-platform';
import { watchMailbox, type ArrivedEmail } from './mailbox-watch';
import { phaseMetrics, type PhaseMetrics } from './phase-metrics';
import { cpuSeconds, cpuSecondsByPart, machineCpuTicks, peakRssMb } from './process-meter';

/**
 * The two ways the peak arrives, each on freshly started API and worker
 * processes against the same seeded users: every user POSTs /v1/exports at
 * once (runApiPhase), or every user's monthly schedule fires in one move of
 * the Scheduler stand-in's clock (runSchedulePhase). Either waits for one
 * email per job, then checks every job succeeded and no second email came.
 */

export interface PhaseOptions {
  readonly concurrency: number;
  readonly workers: number;
  readonly timeoutMs: number;
  readonly progress: (message: string) => void;
}

/** Requests made at once for untimed set-up and checks (schedule creation, final states). */
const SETUP_PARALLEL = 16;
/** After the last expected email: time for a duplicate one to show before the mailbox is read the last time. */
const SETTLE_MS = 2_000;

async function apiJson(
  apiUrl: string,
  user: BenchUser,
  method: string,
  path: string,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** Lines of a worker's log shown per job that got no email. */
const MISSING_LOG_LINES = 8;

/** For a phase that timed out: each job without an email, its state as the API tells it, and what the workers logged about it. */
async function reportMissing(
  services: PhaseServices,
  jobs: ReadonlyMap<string, { user: BenchUser; atMs: number }>,
  emails: readonly ArrivedEmail[],
  progress: (message: string) => void,
): Promise<void> {
  const emailed = new Set(emails.map((email) => email.jobId));
  for (const [jobId, { user }] of jobs) {
    if (emailed.has(jobId)) continue;
    const { status, json } = await apiJson(services.apiUrl, user, 'GET', `/v1/exports/${encodeURIComponent(jobId)}`).catch(
      (error: unknown) => ({ status: 0, json: { error: String(error) } as Record<string, unknown> }),
    );
    progress(`no email for ${jobId} (user ${user.id}, ${user.memberships} memberships): GET answered ${status} ${JSON.stringify(json)}`);
    for (const worker of services.workers) {
      const lines = worker.logs.filter((line) => line.includes(jobId) || line.includes(user.id)).slice(-MISSING_LOG_LINES);
      for (const line of lines) progress(`  ${worker.name}: ${line.slice(0, 600)}`);
    }
  }
}

/** Runs `trigger` (which asks for every job and says when it asked for each) with the workers measured around it. */
async function measured(
  platform: BenchPlatform,
  services: PhaseServices,
  options: PhaseOptions,
  trigger: () => Promise<Map<string, { user: BenchUser; atMs: number }>>,
): Promise<PhaseMetrics> {
  await clearEmails(platform.sesEndpoint);
  const pids = services.workers.map((worker: RunningService) => worker.process.pid!);
  const cpuBefore = pids.map(cpuSeconds);
  const machineBefore = machineCpuTicks();
  const partsBefore = cpuSecondsByPart();
  const benchBefore = process.cpuUsage();
  const callsBefore = platform.aws.iamGate?.calls() ?? {};
  const watch = watchMailbox(platform.sesEndpoint, Date.now() - 1000);
  let emails: readonly ArrivedEmail[];
  let jobs: Map<string, { user: BenchUser; atMs: number }>;
  try {
    jobs = await trigger();
    options.progress(`${jobs.size} jobs asked for; waiting for their emails`);
    const reporter = setInterval(() => options.progress(`${watch.emails().length}/${jobs.size} emails`), 10_000);
    try {
      await watch.waitForCount(jobs.size, options.timeoutMs);
    } catch (error) {
      await reportMissing(services, jobs, watch.emails(), options.progress);
      throw error;
    } finally {
      clearInterval(reporter);
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  } finally {
    await watch.stop();
    emails = watch.emails();
  }
  const cpuAfter = pids.map(cpuSeconds);
  const machineAfter = machineCpuTicks();
  const partsAfter = cpuSecondsByPart();
  const bench = process.cpuUsage(benchBefore);
  const rss = Math.max(...pids.map(peakRssMb));
  // Before the state reads below, which are the bench's own.
  const callsAfter = platform.aws.iamGate?.calls() ?? {};
  const states = await mapLimit([...jobs], SETUP_PARALLEL, async ([jobId, { user }]) => {
    const { json } = await apiJson(services.apiUrl, user, 'GET', `/v1/exports/${encodeURIComponent(jobId)}`);
    return json?.state as string | undefined;
  });
  return phaseMetrics({
    requestedAtMs: new Map([...jobs].map(([jobId, { atMs }]) => [jobId, atMs])),
    emails,
    workers: services.workers.length,
    workerCpuSeconds: cpuAfter.reduce((sum, after, index) => sum + after - cpuBefore[index]!, 0),
    peakRssMb: rss,
    machineCpuBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
    benchProcessCpuSeconds: (bench.user + bench.system) / 1e6,
    cpuSecondsByPart: Object.fromEntries(
      Object.entries(partsAfter).map(([part, after]) => [part, after - partsBefore[part as keyof typeof partsBefore]]),
    ),
    notSucceeded: states.filter((state) => state !== 'succeeded').length,
    calls: Object.fromEntries(Object.entries(callsAfter).map(([call, count]) => [call, count - (callsBefore[call] ?? 0)])),
  });
}

/** Tries of one user's POST: a 5xx or a dropped connection is tried again with the same Idempotency-Key, as the SDK does. */
const POST_TRIES = 3;

/**
 * Every user POSTs /v1/exports at the same moment. The job's request time is
 * that of the first try; tries beyond the first are counted (`retries` on the phase).
 */
export async function runApiPhase(platform: BenchPlatform, options: PhaseOptions): Promise<PhaseMetrics & { readonly retries: number }> {
  const services = await platform.startServices(options);
  let retries = 0;
  try {
    const metrics = await measured(platform, services, options, async () => {
      const jobs = new Map<string, { user: BenchUser; atMs: number }>();
      await Promise.all(
        platform.users.map(async (user) => {
          const atMs = Date.now();
          const key = randomUUID();
          for (let attempt = 1; ; attempt += 1) {
            const answer = await apiJson(services.apiUrl, user, 'POST', '/v1/exports', {}, { 'idempotency-key': key }).catch(
              (error: unknown) => ({ status: 0, json: { error: String(error) } as Record<string, unknown> }),
            );
            if (answer.status === 202 && typeof answer.json?.id === 'string') {
              jobs.set(answer.json.id, { user, atMs });
              return;
            }
            if ((answer.status === 0 || answer.status >= 500) && attempt < POST_TRIES) {
              retries += 1;
              await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
              continue;
            }
            throw new Error(`POST /v1/exports answered ${answer.status}: ${JSON.stringify(answer.json)}`);
          }
        }),
      );
      return jobs;
    });
    if (retries > 0) {
      // What the API logged for the answers that were tried again (pino: level 50 is error).
      const errors = services.api.jsonLogs().filter((entry) => typeof entry.level === 'number' && entry.level >= 50);
      const first = errors[0];
      const why = first
        ? JSON.stringify({ msg: first.msg, err: (first.err as { message?: unknown } | undefined)?.message })
        : 'none logged';
      options.progress(`${retries} POSTs tried again; the API logged ${errors.length} errors, the first: ${why.slice(0, 600)}`);
    }
    return { ...metrics, retries };
  } finally {
    await services.stop();
  }
}

/** The 1st of the month after `now`, 06:00 UTC: when every user's schedule is due. */
function nextFirstOfMonth(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 6, 0, 0));
}

/** `20270101T0600Z`: the time part of a scheduled job's id (sched-<schedule>-<time>). */
function jobTimeId(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\d\d\.\d{3}Z$/, 'Z');
}

/**
 * Every user subscribes to a monthly export (untimed), then one move of the
 * stand-in's clock past the flexible window fires all of them together.
 */
export async function runSchedulePhase(platform: BenchPlatform, options: PhaseOptions): Promise<PhaseMetrics> {
  const services = await platform.startServices(options);
  try {
    const clock = (await (await fetch(`${platform.schedulerEndpoint}/_test/clock`)).json()) as { now: string };
    const due = nextFirstOfMonth(new Date(clock.now));
    options.progress(`creating ${platform.users.length} monthly schedules (due ${due.toISOString()})`);
    const schedules = await mapLimit(platform.users, SETUP_PARALLEL, async (user) => {
      const { status, json } = await apiJson(services.apiUrl, user, 'POST', '/v1/export-schedules', {
        day_of_month: 1,
        time_of_day: '06:00',
        time_zone: 'UTC',
      });
      if (status !== 201 || typeof json?.id !== 'string')
        throw new Error(`POST /v1/export-schedules answered ${status}: ${JSON.stringify(json)}`);
      return { user, scheduleId: json.id as string };
    });
    return await measured(platform, services, options, async () => {
      // Past the schedules' flexible window (60 minutes by default), so every one is due in this one move.
      const atMs = Date.now();
      const moved = await fetch(`${platform.schedulerEndpoint}/_test/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ now: new Date(due.getTime() + 61 * 60_000).toISOString() }),
      });
      const { firings } = (await moved.json()) as { firings?: { status: string }[] };
      const sent = (firings ?? []).filter((firing) => firing.status === 'sent').length;
      if (sent !== schedules.length) throw new Error(`the clock move sent ${sent} of ${schedules.length} schedule ticks`);
      return new Map(schedules.map(({ user, scheduleId }) => [`sched-${scheduleId}-${jobTimeId(due)}`, { user, atMs }]));
    });
  } finally {
    await services.stop();
  }
}
