/** Deadlines on a node-postgres pool's queries (no TypeORM here: the worker's pool uses them too). */
export interface PostgresTimeoutOptions {
  /** Server-side limit of one statement (`statement_timeout`). Unset: none (migrations may run long). */
  readonly statementTimeoutMs?: number;
  /** Client-side limit of one query, which also covers a server that stopped answering (`query_timeout`). Unset: none. */
  readonly queryTimeoutMs?: number;
  /** The server ends a session left idle inside a transaction (`idle_in_transaction_session_timeout`). Default 60 s. */
  readonly idleInTransactionTimeoutMs?: number;
}

/**
 * node-postgres settings that put deadlines on queries: `statement_timeout`
 * and `idle_in_transaction_session_timeout` are enforced by the server,
 * `query_timeout` by the client (the only one that helps when the server
 * stops answering altogether). Unset values are left out.
 */
export function postgresTimeouts(options: PostgresTimeoutOptions) {
  return {
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
  };
}
