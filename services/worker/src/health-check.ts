import { readFileSync } from 'node:fs';
import { DEFAULT_HEARTBEAT_FILE } from './health-check-heartbeat';

/**
 * The worker's container health check (ECS `healthCheck.command`):
 *
 *   node services/worker/dist/health-check.js [heartbeat file]
 *
 * Exit 0 while the heartbeat the worker writes is not overdue, 1 when it is
 * overdue, missing or unreadable. ECS replaces a task whose check fails
 * `retries` times in a row: a worker whose consumer loop is wedged serves no
 * port, so nothing else would notice it.
 */
export function heartbeatIsFresh(path: string, now: number = Date.now()): boolean {
  let dueBy: number;
  try {
    dueBy = Number(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
  return Number.isFinite(dueBy) && now <= dueBy;
}

if (require.main === module) {
  process.exit(heartbeatIsFresh(process.argv[2] ?? DEFAULT_HEARTBEAT_FILE) ? 0 : 1);
}
