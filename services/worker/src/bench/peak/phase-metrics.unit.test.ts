import { phaseMetrics } from './phase-metrics';
import { platformPartOf } from './process-meter';

describe('platformPartOf', () => {
  const bench = 100;
  it.each([
    [100, 'node services/worker/dist/bench/peak/peak-bench.js', 'benchAndIamGate'],
    [7, '/x/node --enable-source-maps --require /x/parent-watch.js /repo/services/worker/dist/main.js', 'worker'],
    [8, '/x/node /repo/services/api/dist/server.js', 'api'],
    [9, 'java -Djava.library.path=/x/DynamoDBLocal_lib -jar DynamoDBLocal.jar', 'dynamodbLocal'],
    [10, '/x/node /repo/tools/local-platform/dist/emulators/fauxqs-runner.mjs 0', 'fauxqs'],
    [11, '/x/node /repo/tools/local-platform/dist/emulators/ses-runner.js 0', 'sesLocal'],
    [12, 'postgres: test_1_worker test_1 127.0.0.1(59220) COPY', 'postgresql'],
    [13, '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main', 'postgresql'],
    [14, 'redis-server 127.0.0.1:6379', 'other'],
  ])('pid %d (%s) is %s', (pid, commandLine, part) => {
    expect(platformPartOf(pid, commandLine, bench)).toBe(part);
  });

  it('counts the bench process by its pid, whatever its command line', () => {
    expect(platformPartOf(100, '/x/node services/worker/dist/main.js', 100)).toBe('benchAndIamGate');
  });
});

describe('phaseMetrics', () => {
  const observed = {
    requestedAtMs: new Map([
      ['job-1', 1_000],
      ['job-2', 1_000],
    ]),
    emails: [
      { messageId: 'm-1', jobId: 'job-1', to: 'a@example.com', arrivedAtMs: 2_000 },
      { messageId: 'm-2', jobId: 'job-2', to: 'b@example.com', arrivedAtMs: 3_000 },
    ],
    workers: 1,
    workerCpuSeconds: 0.1,
    peakRssMb: 100,
    notSucceeded: 0,
    machineCpuBusy: 0.9,
    benchProcessCpuSeconds: 0.05,
    cpuSecondsByPart: { worker: 0.1, api: 0.02, benchAndIamGate: 0.05, dynamodbLocal: 0.2, other: 0.03 },
    calls: {},
  };

  it('gives each part its CPU per 1,000 exports and the stand-ins their share of all of it', () => {
    const metrics = phaseMetrics(observed);
    expect(metrics.exports).toBe(2);
    expect(metrics.exportsPerSecPerWorker).toBe(1);
    expect(metrics.cpuSecondsPer1000ByPart).toEqual({ worker: 50, api: 10, benchAndIamGate: 25, dynamodbLocal: 100, other: 15 });
    // Of 0.4 CPU-s in all, the worker and the API used 0.12.
    expect(metrics.standInCpuShare).toBe(0.7);
  });

  it('has no stand-in share when nothing was measured', () => {
    expect(phaseMetrics({ ...observed, cpuSecondsByPart: {} }).standInCpuShare).toBeNaN();
  });
});
