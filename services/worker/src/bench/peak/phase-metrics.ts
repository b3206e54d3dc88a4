import type { ArrivedEmail } from './mailbox-watch';

/**
 * The figures of one phase, from when each job was asked for, the emails
 * that arrived, and the worker processes' CPU and memory.
 */

export interface PhaseMetrics {
  readonly exports: number;
  readonly seconds: number;
  readonly exportsPerSecPerWorker: number;
  readonly requestToInboxMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly workerCpuSecondsPer1000: number;
  readonly peakRssMbPerWorker: number;
  readonly emailsPerJob: { readonly min: number; readonly max: number };
  /**
   * Share of the machine's CPU (all cores) busy during the phase, 0–1: near 1, the
   * emulators, the gate, PostgreSQL and the services together are what limits the rate.
   */
  readonly machineCpuBusy: number;
  /** CPU seconds of this process per 1,000 exports: the IAM gate (in this process) and the harness. */
  readonly benchProcessCpuSecondsPer1000: number;
  /**
   * CPU seconds per 1,000 exports of every process on the machine, by part (process-meter.ts): where
   * the machine's CPU went, the services under test beside the stand-ins around them.
   */
  readonly cpuSecondsPer1000ByPart: Readonly<Record<string, number>>;
  /** Share of that CPU used by the stand-ins, the harness and the gate, PostgreSQL and whatever else runs: not the worker or the API. */
  readonly standInCpuShare: number;
  /**
   * AWS requests per 1,000 exports, by caller and operation (`worker DynamoDB UpdateItem`), as the IAM
   * gate let them through during the phase: idle long polls included, the bench's own reads not.
   */
  readonly requestsPer1000: Readonly<Record<string, number>>;
  /** Jobs whose final state was not `succeeded` (each one fails the run). */
  readonly notSucceeded: number;
  /** Emails that named no job of this phase (each one fails the run). */
  readonly strayEmails: number;
}

export interface PhaseObservations {
  /** Epoch ms at which each job was asked for (its POST, or the tick that fired it). */
  readonly requestedAtMs: ReadonlyMap<string, number>;
  readonly emails: readonly ArrivedEmail[];
  readonly workers: number;
  /** Sum over the worker processes of their CPU seconds during the phase. */
  readonly workerCpuSeconds: number;
  /** Largest VmHWM among the worker processes. */
  readonly peakRssMb: number;
  readonly notSucceeded: number;
  readonly machineCpuBusy: number;
  readonly benchProcessCpuSeconds: number;
  /** CPU seconds of every process on the machine during the phase, by platform part. */
  readonly cpuSecondsByPart: Readonly<Record<string, number>>;
  /** Requests the IAM gate let through during the phase, by caller and operation. */
  readonly calls: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], share: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export function phaseMetrics(observed: PhaseObservations): PhaseMetrics {
  const perJob = new Map<string, ArrivedEmail[]>();
  for (const jobId of observed.requestedAtMs.keys()) perJob.set(jobId, []);
  let strayEmails = 0;
  for (const email of observed.emails) {
    const list = email.jobId === undefined ? undefined : perJob.get(email.jobId);
    if (list) list.push(email);
    else strayEmails += 1;
  }
  const counts = [...perJob.values()].map((list) => list.length);
  const latencies: number[] = [];
  let lastArrival = Number.NEGATIVE_INFINITY;
  for (const [jobId, list] of perJob) {
    const first = Math.min(...list.map((email) => email.arrivedAtMs));
    if (!Number.isFinite(first)) continue;
    latencies.push(first - observed.requestedAtMs.get(jobId)!);
    lastArrival = Math.max(lastArrival, first);
  }
  latencies.sort((a, b) => a - b);
  const firstRequest = Math.min(...observed.requestedAtMs.values());
  const exports = latencies.length;
  const perThousand = (value: number) => (value / Math.max(exports, 1)) * 1000;
  const partCpu = Object.values(observed.cpuSecondsByPart).reduce((sum, value) => sum + value, 0);
  const servicesCpu = (observed.cpuSecondsByPart.worker ?? 0) + (observed.cpuSecondsByPart.api ?? 0);
  const seconds = (lastArrival - firstRequest) / 1000;
  return {
    exports,
    seconds: round(seconds, 2),
    exportsPerSecPerWorker: round(exports / seconds / observed.workers, 2),
    requestToInboxMs: {
      p50: Math.round(percentile(latencies, 0.5)),
      p95: Math.round(percentile(latencies, 0.95)),
      p99: Math.round(percentile(latencies, 0.99)),
      max: Math.round(latencies.at(-1) ?? Number.NaN),
    },
    workerCpuSecondsPer1000: round((observed.workerCpuSeconds / Math.max(exports, 1)) * 1000, 1),
    peakRssMbPerWorker: round(observed.peakRssMb, 1),
    emailsPerJob: { min: Math.min(...counts), max: Math.max(...counts) },
    machineCpuBusy: round(observed.machineCpuBusy, 2),
    benchProcessCpuSecondsPer1000: round(perThousand(observed.benchProcessCpuSeconds), 1),
    cpuSecondsPer1000ByPart: Object.fromEntries(
      Object.entries(observed.cpuSecondsByPart).map(([part, cpuSeconds]) => [part, round(perThousand(cpuSeconds), 1)]),
    ),
    standInCpuShare: round(partCpu > 0 ? 1 - servicesCpu / partCpu : Number.NaN, 2),
    requestsPer1000: Object.fromEntries(
      Object.entries(observed.calls)
        .filter(([, count]) => count > 0)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([call, count]) => [call, Math.round((count / Math.max(exports, 1)) * 1000)]),
    ),
    notSucceeded: observed.notSucceeded,
    strayEmails,
  };
}
