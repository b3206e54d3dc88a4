/**
 * node-postgres arms a timer per query when `query_timeout` is set and clears
 * it in the query's callback, which pg-copy-streams never calls. Without this
 * the timer outlives the COPY (holding the process open for the whole
 * deadline) and then fires on a finished query. While the COPY runs, the timer
 * is the deadline that ends a server that stopped answering.
 */
export function settleQueryDeadline(copy: object): void {
  const settle = (copy as { callback?: unknown }).callback;
  if (typeof settle === 'function') (settle as () => void)();
}
