import { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { tables, type TableDefinition, type TableKey } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface TablesProps {
  readonly deployment: Deployment;
}

/**
 * One DynamoDB table per definition in core's `tables`: keys, attribute
 * types, global indexes and the TTL attribute are read from there, never
 * restated, so the tables in AWS are the ones the JobStore and UserStore
 * query. On-demand billing (the load is bursty: the 1st of the month),
 * point-in-time recovery, encryption at rest with the AWS-managed KMS key.
 */
export class Tables extends Construct {
  readonly tables: Readonly<Record<TableKey, DynamodbTable>>;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    const { deployment } = props;
    const created = {} as Record<TableKey, DynamodbTable>;
    for (const key of Object.keys(tables) as TableKey[]) {
      const definition: TableDefinition = tables[key];
      created[key] = new DynamodbTable(this, definition.logicalName, {
        name: deployment.names.tables[key],
        billingMode: 'PAY_PER_REQUEST',
        hashKey: definition.partitionKey,
        ...(definition.sortKey ? { rangeKey: definition.sortKey } : {}),
        attribute: Object.entries(definition.attributes).map(([name, type]) => ({ name, type })),
        globalSecondaryIndex: definition.globalIndexes.map((index) => ({
          name: index.name,
          hashKey: index.partitionKey,
          ...(index.sortKey ? { rangeKey: index.sortKey } : {}),
          projectionType: 'ALL',
        })),
        ...(definition.ttlAttribute ? { ttl: { attributeName: definition.ttlAttribute, enabled: true } } : {}),
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: deployment.environment.tableDeletionProtection,
        tags: { Name: deployment.names.tables[key] },
      });
    }
    this.tables = created;
  }

  /** Table ARNs by core's table key (for IAM). */
  get arns(): Readonly<Record<TableKey, string>> {
    const arns = {} as Record<TableKey, string>;
    for (const key of Object.keys(this.tables) as TableKey[]) arns[key] = this.tables[key].arn;
    return arns;
  }
}
