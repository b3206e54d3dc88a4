import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a worker process costs, read from Linux's /proc: CPU time (user +
 * system) from `stat`, peak resident set (VmHWM) from `status`. Read while
 * the process still runs; a phase reads CPU before and after its exports.
 */

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Peak resident set size so far, in MB (VmHWM). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb) / 1024;
}

/** Jiffies since boot of the whole machine (every core), busy and in all, from the first line of /proc/stat. */
export function machineCpuTicks(): { readonly busy: number; readonly total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/**
 * What each part of the local platform is, by its command line: the services under test, the stand-ins
 * around them, and this process (the harness and the IAM gate, which runs in it). Whatever else runs on
 * the machine is `other`.
 */
export type PlatformPart = 'worker' | 'api' | 'benchAndIamGate' | 'dynamodbLocal' | 'fauxqs' | 'sesLocal' | 'postgresql' | 'other';

export function platformPartOf(pid: number, commandLine: string, benchPid: number): PlatformPart {
  if (pid === benchPid) return 'benchAndIamGate';
  if (commandLine.includes('services/worker/dist/main.js')) return 'worker';
  if (commandLine.includes('services/api/dist/server.js')) return 'api';
  if (commandLine.includes('DynamoDBLocal')) return 'dynamodbLocal';
  if (commandLine.includes('fauxqs-runner')) return 'fauxqs';
  if (commandLine.includes('ses-runner')) return 'sesLocal';
  if (/^postgres(:|\s|$)|\/postgres\s/.test(commandLine)) return 'postgresql';
  return 'other';
}

/**
 * CPU seconds used so far by every process on the machine, summed by platform part. For PostgreSQL the
 * CPU of backends already exited (reaped by the postmaster: its cutime + cstime) is counted too, so a
 * connection closed during a phase is not lost; a process of another part that exits during a phase is.
 */
export function cpuSecondsByPart(benchPid: number = process.pid): Record<PlatformPart, number> {
  const totals: Record<PlatformPart, number> = {
    worker: 0,
    api: 0,
    benchAndIamGate: 0,
    dynamodbLocal: 0,
    fauxqs: 0,
    sesLocal: 0,
    postgresql: 0,
    other: 0,
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const part = platformPartOf(pid, commandLine, benchPid);
      // utime, stime, then cutime, cstime (fields 14–17 of the line).
      const own = Number(fields[11]) + Number(fields[12]);
      const reaped = part === 'postgresql' ? Number(fields[13]) + Number(fields[14]) : 0;
      totals[part] += (own + reaped) / CLOCK_TICKS_PER_SECOND;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return totals;
}
