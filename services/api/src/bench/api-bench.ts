/**
 * API benchmark: the API's own overhead on its three busiest routes, as
 * requests per second and p99 latency of the built server beside the same
 * DynamoDB/SQS calls made bare from this process at the same concurrency,
 * with the verified-token cache on (as deployed) and off.
 *
 *   npm run bench:api                  (root; builds first)
 *   node services/api/dist/bench/api-bench.js [--users N] [--concurrency N]
 *        [--requests N] [--duration-seconds N] [--post-rounds N] [--help]
 *
 * Routes, each authenticated with the user's own access token (from
 * POST /v1/auth/token, one login per user):
 *   getExport    GET /v1/exports/{id}   (one of the user's jobs)
 *   listExports  GET /v1/exports?limit=5
 *   createExport POST /v1/exports       (no body: a real new export each time)
 * The requests go round the users, so each user's rate limits (120 reads,
 * 10 creates a minute, as deployed) are never reached: a GET phase makes at
 * most 50 requests per user, a POST round one; any non-2xx answer is counted
 * (`failed`) and makes the line's `valid` false.
 *
 * The bare side (bare-calls.ts) is core's JobStore and an SQS client with the
 * API role's keys, through the same IAM gate: one GetItem, one Query, and one
 * TransactWriteItems plus one SendMessage. `ratio` = API req/s / bare req/s.
 * Each POST round makes one export per user; between rounds (untimed) the
 * bench cancels them, which frees the user's one-export-at-a-time guard, so
 * every timed POST creates an export (an answer saying it returned an existing
 * one counts as failed).
 *
 * Each phase ends after `--requests` calls or `--duration-seconds`, whichever
 * comes first (a POST round: one per user), after an untimed warm-up per
 * mode (two GETs per user and one POST round: connections, JIT, and, with
 * the cache on, each token verified once). Three modes: bare, the API with the
 * cache (JWT_VERIFY_CACHE_SIZE=10000, as deployed) and without it (0), two
 * server processes up side by side; each route is measured in every mode, in
 * an order that rotates from route to route. The logins go to a third API
 * process beforehand, so neither measured one has seen a token before.
 * Progress goes to stderr; stdout gets one JSON line:
 *   {"users":…,"concurrency":…,"routes":{"getExport":{"reqPerSec":…,"p99Ms":…,"bareReqPerSec":…,
 *    "bareP99Ms":…,"ratio":…,"noCacheReqPerSec":…,"noCacheP99Ms":…,"noCacheRatio":…,"tokenCacheGain":…,
 *    "apiCpuMsPerRequest":…,"noCacheApiCpuMsPerRequest":…,"requests":…,"failed":0},…},
 *    "tokenCacheGain":{…},"minRatio":…,"valid":true}
 * `apiCpuMsPerRequest` is the API process's CPU time (/proc/<pid>/stat) over
 * the phase divided by its requests: unlike the rates it hardly moves with
 * the load of whatever else shares the machine, so the cache's saving shows
 * in it even where the emulators, not the API, bound the rate.
 * Exit code 0 when it ran (whatever the ratios), 2 when it could not.
 */
import { randomUUID } from 'node:crypto';
import {
  BenchArgumentError,
  benchErrorText,
  benchUsage,
  dynamoDbClient,
  HELP,
  parseBenchArguments,
  positiveInteger,
} from '@memberships/local-platform';
import { JobStore } from '@memberships/core/dynamodb';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE } from '../config';
import { EXPORT_REQUEST_HEADER } from '../routes/exports/schemas';
import { apiCredentials, mapLimit, startApiBenchPlatform } from './api-platform';
import { bareCalls, type BareCalls } from './bare-calls';
import { benchHttpClient, type BenchHttpClient } from './http-load';
import { processCpuSeconds } from './process-cpu';
import { runLoad, summarize, type LoadCall, type LoadRun, type LoadSummary } from './load-runner';

const DEFAULT_USERS = 80;
const DEFAULT_CONCURRENCY = 16;
const DEFAULT_DURATION_SECONDS = 10;
const DEFAULT_POST_ROUNDS = 6;
/** Reads per user per phase at most: two GET phases and the warm-up stay under the deployed 120 a minute. */
const READS_PER_USER = 50;
/** Most POST rounds: the deployed limit is 10 creates per user a minute; each round and the warm-up's take one. */
const MAX_POST_ROUNDS = 8;
/** Jobs each user has before the GETs, and the page size the list asks for: every list answers this many. */
const JOBS_PER_USER = 5;
const LIST_LIMIT = JOBS_PER_USER;
const WARM_UP_PER_USER = 2;
const SETUP_PARALLEL = 16;

type Route = 'getExport' | 'listExports' | 'createExport';
const ROUTES: readonly Route[] = ['getExport', 'listExports', 'createExport'];
/** A route's figures in one mode; `cpuMsPerRequest`: the API process's CPU per request (null for the bare calls). */
type RouteMeasure = LoadSummary & { readonly cpuMsPerRequest: number | null };
type ModeResult = Record<Route, RouteMeasure>;

class BenchmarkError extends Error {}

const benchStarted = Date.now();

function progress(message: string): void {
  process.stderr.write(`[api-bench ${((Date.now() - benchStarted) / 1000).toFixed(0)} s] ${message}\n`);
}

const COMMAND = {
  usage: 'npm run bench:api -- [options]   (or: node services/api/dist/bench/api-bench.js [options])',
  summary:
    "The API's three busiest routes, authenticated, beside the same DynamoDB/SQS calls made bare at the same\n" +
    'concurrency, with the verified-token cache on and off. One JSON line on stdout.',
  options: {
    users: { type: 'number', default: DEFAULT_USERS, ...positiveInteger, help: 'users the requests go round' },
    concurrency: { type: 'number', default: DEFAULT_CONCURRENCY, ...positiveInteger, help: 'requests in flight' },
    requests: {
      type: 'number',
      ...positiveInteger,
      help: `most requests per GET phase, at most ${READS_PER_USER} per user (default ${READS_PER_USER} × --users)`,
    },
    'duration-seconds': { type: 'number', default: DEFAULT_DURATION_SECONDS, ...positiveInteger, help: 'most a phase may take' },
    'post-rounds': {
      type: 'number',
      default: DEFAULT_POST_ROUNDS,
      ...positiveInteger,
      help: `POST rounds, one export per user each, at most ${MAX_POST_ROUNDS}`,
    },
  },
} as const;

interface Settings {
  readonly users: number;
  readonly concurrency: number;
  readonly readRequests: number;
  readonly durationMs: number;
  readonly postRounds: number;
}

/** The command line's settings; `HELP` for --help. Throws BenchArgumentError on a bad one. */
function readSettings(argv: readonly string[]): Settings | typeof HELP {
  const args = parseBenchArguments(argv, COMMAND);
  if (args === HELP) return HELP;
  const { users } = args;
  const readRequests = args.requests ?? users * READS_PER_USER;
  if (readRequests > users * READS_PER_USER) {
    throw new BenchArgumentError(
      `--requests ${readRequests} is over ${READS_PER_USER} per user (${users * READS_PER_USER}): the per-user read limit would answer 429; add --users`,
    );
  }
  const postRounds = args['post-rounds'];
  if (postRounds > MAX_POST_ROUNDS) throw new BenchArgumentError(`--post-rounds is at most ${MAX_POST_ROUNDS} (the per-user create limit)`);
  return {
    users,
    concurrency: args.concurrency,
    readRequests,
    durationMs: args['duration-seconds'] * 1000,
    postRounds,
  };
}

/** What a mode's calls need: the users' ids, tokens and jobs. */
interface Fixture {
  readonly userIds: readonly string[];
  readonly tokens: readonly string[];
  readonly jobIds: readonly (readonly string[])[];
  /** The bench's own store (operator keys): cancels the POST rounds' exports between rounds. */
  readonly store: JobStore;
}

/** How one mode makes each route's call; `create` also reports the job it created, for the cancel between rounds. */
interface ModeCalls {
  readonly label: string;
  /** CPU seconds the serving process has used so far (the API child); absent for the bare calls. */
  readonly cpuSeconds?: () => number;
  readonly getExport: LoadCall;
  readonly listExports: LoadCall;
  create(user: number): Promise<{ ok: boolean; jobId?: string; userId: string }>;
}

function apiCalls(http: BenchHttpClient, fixture: Fixture, label: string, pid: number): ModeCalls {
  const users = fixture.userIds.length;
  return {
    label,
    cpuSeconds: () => processCpuSeconds(pid),
    getExport: async (index) => {
      const user = index % users;
      const job = fixture.jobIds[user]![Math.floor(index / users) % JOBS_PER_USER]!;
      return isSuccess((await http.send('GET', `/v1/exports/${job}`, fixture.tokens[user]!)).status);
    },
    listExports: async (index) =>
      isSuccess((await http.send('GET', `/v1/exports?limit=${LIST_LIMIT}`, fixture.tokens[index % users]!)).status),
    async create(user) {
      const answer = await http.send('POST', '/v1/exports', fixture.tokens[user]!, { keepBody: true });
      const userId = fixture.userIds[user]!;
      // 202 with the existing job (export-request: existing) is no new export: not what is measured.
      if (answer.status !== 202 || answer.headers[EXPORT_REQUEST_HEADER] !== undefined) return { ok: false, userId };
      return { ok: true, jobId: (JSON.parse(answer.body) as { id: string }).id, userId };
    },
  };
}

function bareModeCalls(bare: BareCalls, fixture: Fixture): ModeCalls {
  const users = fixture.userIds.length;
  return {
    label: 'bare',
    getExport: (index) => {
      const user = index % users;
      return bare.getJob(fixture.jobIds[user]![Math.floor(index / users) % JOBS_PER_USER]!, fixture.userIds[user]!);
    },
    listExports: (index) => bare.listJobs(fixture.userIds[index % users]!, LIST_LIMIT),
    // A fresh user id each time: no guard to free, and no user of the API phases is touched.
    async create() {
      const userId = randomUUID();
      return { ok: await bare.createJob(userId), userId };
    },
  };
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** One route's timed phase in one mode: `--requests` calls (for POST: `--post-rounds` rounds of one per user). */
async function measureRoute(route: Route, calls: ModeCalls, fixture: Fixture, settings: Settings): Promise<RouteMeasure> {
  const cpuBefore = calls.cpuSeconds?.();
  const runs: LoadRun[] = [];
  if (route === 'createExport') {
    for (let round = 0; round < settings.postRounds; round += 1) runs.push(await createRound(calls, fixture, settings));
  } else {
    const call = route === 'getExport' ? calls.getExport : calls.listExports;
    runs.push(await runLoad({ concurrency: settings.concurrency, requests: settings.readRequests, durationMs: settings.durationMs, call }));
  }
  const summary = summarize(runs);
  // The POST rounds' untimed cancels go to DynamoDB from this process, not through the API: its CPU is the requests'.
  const cpuMsPerRequest =
    cpuBefore === undefined || summary.requests === 0 ? null : round3(((calls.cpuSeconds!() - cpuBefore) * 1000) / summary.requests);
  const cpu = cpuMsPerRequest === null ? '' : `, API CPU ${cpuMsPerRequest} ms per request`;
  const roundsNote = route === 'createExport' ? ` (${settings.postRounds} rounds of ${fixture.userIds.length})` : '';
  progress(`${calls.label}: ${route} ${describe(summary)}${cpu}${roundsNote}`);
  return { ...summary, cpuMsPerRequest };
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** One POST per user, then (untimed) each export canceled: a user may have one in progress, and canceling frees its guard. */
async function createRound(calls: ModeCalls, fixture: Fixture, settings: Settings): Promise<LoadRun> {
  const created: { jobId: string; userId: string }[] = [];
  const run = await runLoad({
    concurrency: settings.concurrency,
    requests: fixture.userIds.length,
    durationMs: settings.durationMs,
    call: async (user) => {
      const result = await calls.create(user);
      if (result.jobId) created.push({ jobId: result.jobId, userId: result.userId });
      return result.ok;
    },
  });
  await mapLimit(created, SETUP_PARALLEL, (job) => fixture.store.cancel(job.jobId, job.userId));
  return run;
}

/**
 * Every route in every mode, the modes of a route in an order that rotates
 * from route to route, so no mode always runs first or last: the machine's
 * load drifts, and this benchmark shares it.
 */
async function measureAll(modes: readonly ModeCalls[], fixture: Fixture, settings: Settings): Promise<ModeResult[]> {
  const results = modes.map(() => ({}) as Partial<ModeResult>);
  for (const mode of modes) {
    progress(`${mode.label}: warming up`);
    await runLoad({
      concurrency: settings.concurrency,
      requests: fixture.userIds.length * WARM_UP_PER_USER,
      durationMs: settings.durationMs,
      call: mode.getExport,
    });
    // The first exports pay for the SQS connection and cold code paths.
    await createRound(mode, fixture, settings);
  }
  for (const [routeIndex, route] of ROUTES.entries()) {
    for (let step = 0; step < modes.length; step += 1) {
      const index = (step + routeIndex) % modes.length;
      results[index]![route] = await measureRoute(route, modes[index]!, fixture, settings);
    }
  }
  return results as ModeResult[];
}

function describe(summary: LoadSummary): string {
  const problems = summary.failed + summary.errors > 0 ? `, ${summary.failed} failed, ${summary.errors} errors` : '';
  return `${summary.requests} requests, ${summary.requestsPerSec} req/s, p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms${problems}`;
}

async function login(baseUrl: string, user: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  if (response.status !== 200) throw new BenchmarkError(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

const ratio = (a: number, b: number) => (b > 0 ? Number((a / b).toFixed(3)) : 0);

async function runBenchmark(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  if (settings === HELP) {
    process.stdout.write(benchUsage(COMMAND));
    return;
  }
  const platform = await startApiBenchPlatform(settings.users, progress);
  const operator = dynamoDbClient(platform.resources.aws);
  const { tables } = platform.resources.names;
  const bare = bareCalls({
    aws: platform.resources.aws,
    credentials: apiCredentials(),
    jobsTable: tables.exportJobs,
    guardsTable: tables.exportGuards,
    exportQueueUrl: platform.resources.queueUrls.exportQueueUrl,
  });
  try {
    const store = new JobStore({ client: operator, jobsTable: tables.exportJobs, guardsTable: tables.exportGuards });
    const userIds = platform.users.map((user) => user.id);
    progress(`creating ${JOBS_PER_USER} jobs per user`);
    const jobIds = await mapLimit(userIds, SETUP_PARALLEL, async (userId) => {
      const ids: string[] = [];
      for (let i = 0; i < JOBS_PER_USER; i += 1) {
        ids.push((await store.create({ userId, trigger: 'api', skipActiveGuard: true })).job.id);
      }
      return ids;
    });

    progress(`logging ${settings.users} users in through the API`);
    const loginApi = await platform.startApi(0);
    let tokens: string[];
    try {
      tokens = await mapLimit(platform.users, 8, (user) => login(loginApi.url, user));
    } finally {
      await loginApi.stop();
    }
    const fixture: Fixture = { userIds, tokens, jobIds, store };

    // Both API processes up at once (the one not measured idles), each with its own rate-limit counters.
    const [cachedApi, uncachedApi] = await Promise.all([platform.startApi(DEFAULT_VERIFIED_TOKEN_CACHE_SIZE), platform.startApi(0)]);
    const cachedHttp = benchHttpClient(cachedApi.url, settings.concurrency);
    const uncachedHttp = benchHttpClient(uncachedApi.url, settings.concurrency);
    let measured: ModeResult[];
    try {
      measured = await measureAll(
        [
          bareModeCalls(bare, fixture),
          apiCalls(cachedHttp, fixture, `api (token cache ${DEFAULT_VERIFIED_TOKEN_CACHE_SIZE})`, cachedApi.service.process.pid!),
          apiCalls(uncachedHttp, fixture, 'api (token cache off)', uncachedApi.service.process.pid!),
        ],
        fixture,
        settings,
      );
    } finally {
      cachedHttp.close();
      uncachedHttp.close();
      await Promise.allSettled([cachedApi.stop(), uncachedApi.stop()]);
    }
    const [bareResult, cached, uncached] = measured as [ModeResult, ModeResult, ModeResult];

    const figures = (route: Route) => {
      const on = cached[route];
      const off = uncached[route];
      const base = bareResult[route];
      return {
        reqPerSec: on.requestsPerSec,
        p99Ms: on.p99Ms,
        bareReqPerSec: base.requestsPerSec,
        bareP99Ms: base.p99Ms,
        ratio: ratio(on.requestsPerSec, base.requestsPerSec),
        noCacheReqPerSec: off.requestsPerSec,
        noCacheP99Ms: off.p99Ms,
        noCacheRatio: ratio(off.requestsPerSec, base.requestsPerSec),
        tokenCacheGain: ratio(on.requestsPerSec, off.requestsPerSec),
        apiCpuMsPerRequest: on.cpuMsPerRequest,
        noCacheApiCpuMsPerRequest: off.cpuMsPerRequest,
        requests: on.requests,
        failed: on.failed + on.errors + off.failed + off.errors + base.failed + base.errors,
      };
    };
    const routes = { getExport: figures('getExport'), listExports: figures('listExports'), createExport: figures('createExport') };
    const report = {
      users: settings.users,
      concurrency: settings.concurrency,
      postRounds: settings.postRounds,
      routes,
      tokenCacheGain: Object.fromEntries(ROUTES.map((route) => [route, routes[route].tokenCacheGain])),
      minRatio: Math.min(...ROUTES.map((route) => routes[route].ratio)),
      valid: ROUTES.every((route) => routes[route].failed === 0),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    bare.close();
    operator.destroy();
    await platform.stop();
  }
}

runBenchmark().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[api-bench] ${benchErrorText(error)}\n`);
    process.exit(2);
  },
);
