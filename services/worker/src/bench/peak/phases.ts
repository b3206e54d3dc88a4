import { clearEmails, type RunningService } from '@memberships/local-platform';
import { mapLimit, type BenchPlatform, type BenchUser, type PhaseServices } from './bench-platform';
import { watchMailbox, type ArrivedEmail } from './mailbox-watch';
import { phaseMetrics, type PhaseMetrics } from './phase-metrics';
import { cpuSeconds, peakRssMb } from './process-meter';

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
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${user.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
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
  const watch = watchMailbox(platform.sesEndpoint, Date.now() - 1000);
  let emails: readonly ArrivedEmail[];
  let jobs: Map<string, { user: BenchUser; atMs: number }>;
  try {
    jobs = await trigger();
    options.progress(`${jobs.size} jobs asked for; waiting for their emails`);
    const reporter = setInterval(() => options.progress(`${watch.emails().length}/${jobs.size} emails`), 10_000);
    try {
      await watch.waitForCount(jobs.size, options.timeoutMs);
    } finally {
      clearInterval(reporter);
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  } finally {
    await watch.stop();
    emails = watch.emails();
  }
  const cpuAfter = pids.map(cpuSeconds);
  const rss = Math.max(...pids.map(peakRssMb));
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
    notSucceeded: states.filter((state) => state !== 'succeeded').length,
  });
}

/** Every user POSTs /v1/exports at the same moment. */
export async function runApiPhase(platform: BenchPlatform, options: PhaseOptions): Promise<PhaseMetrics> {
  const services = await platform.startServices(options);
  try {
    return await measured(platform, services, options, async () => {
      const jobs = new Map<string, { user: BenchUser; atMs: number }>();
      await Promise.all(
        platform.users.map(async (user) => {
          const atMs = Date.now();
          const { status, json } = await apiJson(services.apiUrl, user, 'POST', '/v1/exports', {});
          if (status !== 202 || typeof json?.id !== 'string')
            throw new Error(`POST /v1/exports answered ${status}: ${JSON.stringify(json)}`);
          jobs.set(json.id, { user, atMs });
        }),
      );
      return jobs;
    });
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
