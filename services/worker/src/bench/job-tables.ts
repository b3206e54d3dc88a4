import { CreateTableCommand, waitUntilTableExists, type DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { resourceNames, tables, type TableDefinition } from '@memberships/core';

/** Physical names of the two tables JobStore writes, for a benchmark-only prefix. */
export function benchJobTables(prefix = 'export-bench'): { jobsTable: string; guardsTable: string } {
  const names = resourceNames(prefix);
  return { jobsTable: names.tables.exportJobs, guardsTable: names.tables.exportGuards };
}

/**
 * Creates the job and guard tables in a fresh DynamoDB Local from their
 * shared definitions in core (keys and indexes as deployed), which is all
 * the benchmark's progress writes need; the local platform's
 * provisionResources would also want SQS and S3 emulators running.
 */
export async function createJobTables(client: DynamoDBClient, names: { jobsTable: string; guardsTable: string }): Promise<void> {
  await Promise.all([createTable(client, tables.exportJobs, names.jobsTable), createTable(client, tables.exportGuards, names.guardsTable)]);
}

async function createTable(client: DynamoDBClient, definition: TableDefinition, name: string): Promise<void> {
  const keySchema = (partitionKey: string, sortKey?: string): KeySchemaElement[] => [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: Object.entries(definition.attributes).map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
      KeySchema: keySchema(definition.partitionKey, definition.sortKey),
      ...(definition.globalIndexes.length > 0
        ? {
            GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
              IndexName: index.name,
              KeySchema: keySchema(index.partitionKey, index.sortKey),
              Projection: { ProjectionType: 'ALL' as const },
            })),
          }
        : {}),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
}
