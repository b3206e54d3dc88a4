import { ExportStalledError } from './errors';
import type { ExportProgress } from './progress-reporter';

/**
 * Abandons an export that stopped moving. A dependency that accepts
 * connections and never answers would otherwise hold the attempt forever,
 * kept alive by the lease heartbeat; the stall is a passing failure, so the
 * export is retried (retry-policy.ts).
 */

/** Default of EXPORT_STALL_TIMEOUT_SECONDS, in ms. */
export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

/**
 * Aborts `stall` with an ExportStalledError once `progress` (read, not
 * copied: the export updates it in place) has not moved for `stallMs`.
 * Returns the stopper.
 */
export function watchForStall(progress: ExportProgress, stall: AbortController, stallMs: number): () => void {
  let seen = `${progress.rowsExported}/${progress.rowsTotal}`;
  let movedAt = Date.now();
  const timer = setInterval(
    () => {
      const now = `${progress.rowsExported}/${progress.rowsTotal}`;
      if (now !== seen) {
        seen = now;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= stallMs) {
        clearInterval(timer);
        stall.abort(new ExportStalledError(stallMs));
      }
    },
    Math.max(50, Math.min(1000, stallMs / 4)),
  );
  return () => clearInterval(timer);
}
