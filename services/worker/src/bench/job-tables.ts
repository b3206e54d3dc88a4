import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resourceNames, tables } from '@memberships/core/contract';
import { ensureTable } from '@memberships/local-platform';

/** Physical names of the two tables JobStore writes, for a benchmark-only prefix. */
export function benchJobTables(prefix = 'export-bench'): { jobsTable: string; guardsTable: string } {
  const names = resourceNames(prefix);
  return { jobsTable: names.tables.exportJobs, guardsTable: names.tables.exportGuards };
}

/**
 * Creates the job and guard tables in a fresh DynamoDB Local from their
 * shared definitions in core, which is all the benchmark's progress writes
 * need (the local platform's provisionResources would also want the SQS and
 * S3 emulators running).
 */
export async function createJobTables(client: DynamoDBClient, names: { jobsTable: string; guardsTable: string }): Promise<void> {
  await Promise.all([ensureTable(client, tables.exportJobs, names.jobsTable), ensureTable(client, tables.exportGuards, names.guardsTable)]);
}
