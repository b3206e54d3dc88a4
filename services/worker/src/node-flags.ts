/**
 * The V8 flags the worker process runs with, wherever it runs: the image's
 * CMD (Dockerfile), the local platform's worker and the benchmark's child.
 *
 * `--max-semi-space-size=8` (MiB): an export allocates short-lived objects at
 * a high rate (rows from node-postgres, XML for an XLSX sheet), and V8 lets
 * the young generation grow up to 16 MiB per semi-space by default on a
 * 64-bit machine with this much memory, which keeps that garbage longer than
 * needed. Measured at 1,000,000 rows (services/worker/README.md, "The export
 * file"): XLSX peaked at 238 MB without the flag, under 200 MB with it; the
 * CSV path's rate is unchanged (its bytes come from COPY, not from objects).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8'] as const;
