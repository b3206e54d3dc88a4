/**
 * Peak-day benchmark: the first of the month, when every user wants their
 * export at once. It runs the real API and worker processes on the local
 * platform (emulators behind the IAM gate, PostgreSQL) against U seeded
 * users of a realistic mix of sizes, in five phases:
 *
 *   0. warmup:   the api phase once, unmeasured in speedup and ratio: DynamoDB Local's JIT, PostgreSQL's
 *                buffers and the emulators' first-use work are paid here, as the floor (last) never pays them
 *   1. api:      every user POSTs /v1/exports at once; the worker handles N at a time (WORKER_CONCURRENCY=N)
 *   2. baseline: the same, one export at a time (WORKER_CONCURRENCY=1)
 *   3. schedule: every user's monthly schedule fires in one move of the Scheduler stand-in's clock, at N
 *   4. floor:    the same AWS and PostgreSQL calls per export made bare from this process, N at a time (floor.ts)
 *
 *   npm run bench:peak                  (root; builds first)
 *   node services/worker/dist/bench/peak/peak-bench.js [--users 300] [--large-users 3] [--large-rows 100000]
 *     [--medium-share 0.1] [--concurrency 32] [--workers 1] [--seed 1] [--timeout-seconds 900] [--no-iam-gate]
 *     [--no-warmup] [--aws-latency-ms 10 | --aws-latency-ms dynamodb=5,sqs=10,s3=30,ses=50 | --aws-latency-ms 0] [--help]
 *
 * The options are declared once (COMMAND): --help prints them; an unknown option or a bad value exits 2
 * before anything starts.
 *
 * --no-warmup: the api phase meets the cold caches (the speedup over the baseline after it is then
 * understated, and the ratio to the warm floor too).
 * --no-iam-gate: the emulators without the IAM gate in front (which evaluates every call's policy and
 * proxies it: CPU that IAM does not cost in AWS); no request counts then.
 * --aws-latency-ms: the IAM gate holds every call to a service that many milliseconds before forwarding it,
 * a model of the network round trip to AWS that the emulators here do not have (default: AWS_LATENCY_MODEL,
 * aws-latency.ts, with its sources; 0: none, the emulators' own speed). One number for every service, or
 * service=ms pairs; it needs the gate, and it slows the floor's calls the same way. Without it a one-lane
 * worker never waits on AWS, as a deployed one does nearly all the time, and the speedup measures only how
 * the lanes share this machine's two cores with the stand-ins.
 *
 * Progress goes to stderr; stdout gets one JSON line:
 *   {"users":…,"mix":{…},"concurrency":…,"workers":…,"iamGate":…,"awsLatencyMs":{…},"warmup":{…}|null,"baseline":{…},"api":{…},"schedule":{…},
 *    "floor":{"exportsPerSec":…},"speedup":…,"ratio":…}
 * where each phase has exportsPerSecPerWorker (jobs ÷ (last email − first request) ÷ workers),
 * requestToInboxMs p50/p95/p99/max (email arrival − the POST or the clock move), workerCpuSecondsPer1000
 * (/proc utime + stime of the workers during the phase), peakRssMbPerWorker (VmHWM), emailsPerJob {min,max},
 * cpuSecondsPer1000ByPart (every process on the machine, by platform part) and standInCpuShare, requestsPer1000 (AWS requests by caller and operation, counted by the IAM gate), machineCpuBusy;
 * speedup = api ÷ baseline exports/s per worker, ratio = api exports/s (all workers) ÷ the floor's.
 * Exit code 1 when a job did not succeed or got other than exactly one email, 2 when the benchmark cannot run.
 */
import {
  benchErrorText,
  benchUsage,
  HELP,
  nonNegativeInteger,
  parseBenchArguments,
  positiveInteger,
  type ServiceLatency,
} from '@memberships/local-platform';
import { AWS_LATENCY_MODEL, AWS_LATENCY_MODEL_FLAG, parseAwsLatency } from './aws-latency';
import { startBenchPlatform, type BenchPlatform } from './bench-platform';
import { runFloor } from './floor';
import type { PhaseMetrics } from './phase-metrics';
import { runApiPhase, runSchedulePhase, type PhaseOptions } from './phases';
import { userMix } from './user-mix';

function progress(message: string): void {
  process.stderr.write(`[bench:peak ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Lanes of the measured phases, chosen with this benchmark on this 2-core machine under the latency model:
 * 8 lanes gave 3.98× the one-lane baseline, 16 4.26×, 32 4.60–5.64× over seven runs, 48 5.21× (docs/scale.md).
 * With the stand-ins on the same two cores, an export spends about a second in its lane, so 32 are what it
 * takes to keep the waits overlapped, and more no longer help; a deployed task's lanes are set per
 * environment (infra/terraform, docs/scale.md).
 */
const DEFAULT_CONCURRENCY = 32;

const COMMAND = {
  usage: 'npm run bench:peak -- [options]   (or: node services/worker/dist/bench/peak/peak-bench.js [options])',
  summary:
    'The first of the month: U users request their exports at once through the API, then one export at a time, then\n' +
    'through schedule ticks fired together, beside the floor of the same calls made bare. One JSON line on stdout.',
  options: {
    users: { type: 'number', default: 300, ...positiveInteger, help: 'users seeded, each requesting one export per phase' },
    'large-users': { type: 'number', ...nonNegativeInteger, help: 'users with --large-rows memberships (default min(3, --users))' },
    'large-rows': { type: 'number', default: 100_000, ...positiveInteger, help: 'memberships of each large user' },
    'medium-share': {
      type: 'number',
      default: 0.1,
      valid: (value: number) => value >= 0 && value <= 1,
      what: 'a share between 0 and 1',
      help: 'share of the users with thousands of memberships',
    },
    concurrency: { type: 'number', default: DEFAULT_CONCURRENCY, ...positiveInteger, help: 'WORKER_CONCURRENCY of the measured phases' },
    workers: { type: 'number', default: 1, ...positiveInteger, help: 'worker processes' },
    seed: { type: 'number', default: 1, ...nonNegativeInteger, help: 'seed of the size mix' },
    'timeout-seconds': { type: 'number', default: 900, ...positiveInteger, help: 'most a phase may take' },
    'no-iam-gate': { type: 'flag', help: 'the emulators without the IAM gate in front (no request counts then)' },
    'no-warmup': { type: 'flag', help: 'no unmeasured warm-up phase: the api phase meets the cold caches' },
    'aws-latency-ms': {
      type: 'text',
      placeholder: 'MS|service=MS,…',
      help: `hold each call to AWS that long in the IAM gate: one number, or service=ms pairs; 0 for none (default ${AWS_LATENCY_MODEL_FLAG}, none without the gate)`,
    },
  },
} as const;

/** What a phase must show for the run to pass: every job succeeded with exactly one email, and nothing else arrived. */
function phaseProblems(name: string, metrics: PhaseMetrics, expected: number): string[] {
  const problems: string[] = [];
  if (metrics.exports !== expected) problems.push(`${name}: ${metrics.exports} of ${expected} jobs emailed`);
  if (metrics.emailsPerJob.min !== 1 || metrics.emailsPerJob.max !== 1)
    problems.push(`${name}: emails per job ${metrics.emailsPerJob.min}..${metrics.emailsPerJob.max}, not exactly 1`);
  if (metrics.notSucceeded > 0) problems.push(`${name}: ${metrics.notSucceeded} jobs did not succeed`);
  if (metrics.strayEmails > 0) problems.push(`${name}: ${metrics.strayEmails} emails named no job of the phase`);
  return problems;
}

/** --aws-latency-ms: the model unless given; with --no-iam-gate nothing can hold the calls, so none (startBenchPlatform refuses some). */
function awsLatency(flag: string | undefined, iamGate: boolean): ServiceLatency {
  if (flag === undefined) return iamGate ? { ...AWS_LATENCY_MODEL } : {};
  return parseAwsLatency(flag);
}

async function runBenchmark(argv: readonly string[]): Promise<number> {
  const args = parseBenchArguments(argv, COMMAND);
  if (args === HELP) {
    process.stdout.write(benchUsage(COMMAND));
    return 0;
  }
  const { users, concurrency, workers } = args;
  const settings = {
    users,
    largeUsers: args['large-users'] ?? Math.min(3, users),
    largeRows: args['large-rows'],
    mediumShare: args['medium-share'],
    seed: args.seed,
  };
  const timeoutMs = args['timeout-seconds'] * 1000;
  const mix = userMix(settings);
  const iamGate = !args['no-iam-gate'];
  const warm = !args['no-warmup'];
  const awsLatencyMs = awsLatency(args['aws-latency-ms'], iamGate);

  let platform: BenchPlatform | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    void (platform?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    platform = await startBenchPlatform(mix.sizes, progress, { iamGate, latencyMs: awsLatencyMs });
    const phase = (phaseConcurrency: number): PhaseOptions => ({ concurrency: phaseConcurrency, workers, timeoutMs, progress });

    // The floor runs last, on a warm platform: the phases it is compared with run warm too. The warm-up is the
    // api phase itself, so it pays exactly the first-use costs (JIT, DynamoDB Local, PostgreSQL's buffers) the
    // measured phases would otherwise pay; it is checked like them and printed, not used in speedup or ratio.
    let warmup: Awaited<ReturnType<typeof runApiPhase>> | null = null;
    if (warm) {
      progress(`warmup: ${users} users via the API, WORKER_CONCURRENCY=${concurrency} (unmeasured in speedup and ratio)`);
      warmup = await runApiPhase(platform, phase(concurrency));
      progress(`warmup: ${JSON.stringify(warmup)}`);
    }
    progress(`api: ${users} users via the API, WORKER_CONCURRENCY=${concurrency}`);
    const api = await runApiPhase(platform, phase(concurrency));
    progress(`api: ${JSON.stringify(api)}`);
    progress(`baseline: ${users} users via the API, WORKER_CONCURRENCY=1, ${workers} worker process(es)`);
    const baseline = await runApiPhase(platform, phase(1));
    progress(`baseline: ${JSON.stringify(baseline)}`);
    progress(`schedule: ${users} schedule ticks fired together, WORKER_CONCURRENCY=${concurrency}`);
    const schedule = await runSchedulePhase(platform, phase(concurrency));
    progress(`schedule: ${JSON.stringify(schedule)}`);
    progress(`floor: the bare calls, ${concurrency * workers} at a time`);
    const floor = await runFloor(platform.resources, platform.database.url, platform.users, concurrency * workers);
    progress(`floor: ${floor.exportsPerSec.toFixed(2)} exports/s`);

    const line = {
      users,
      mix: { ...mix.summary, largeRows: settings.largeRows, mediumShare: settings.mediumShare, seed: settings.seed },
      concurrency,
      workers,
      iamGate,
      awsLatencyMs,
      warmup,
      baseline,
      api,
      schedule,
      floor: {
        exportsPerSec: Number(floor.exportsPerSec.toFixed(2)),
        seconds: Number(floor.seconds.toFixed(2)),
        concurrency: concurrency * workers,
      },
      speedup: Number((api.exportsPerSecPerWorker / baseline.exportsPerSecPerWorker).toFixed(2)),
      ratio: Number(((api.exportsPerSecPerWorker * workers) / floor.exportsPerSec).toFixed(2)),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    const problems = [
      ...(warmup ? phaseProblems('warmup', warmup, users) : []),
      ...phaseProblems('baseline', baseline, users),
      ...phaseProblems('api', api, users),
      ...phaseProblems('schedule', schedule, users),
    ];
    for (const problem of problems) progress(problem);
    return problems.length > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('stopping the platform');
    await platform?.stop();
  }
}

runBenchmark(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[bench:peak] ${benchErrorText(error)}\n`);
    process.exit(2);
  },
);
