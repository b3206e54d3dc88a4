/**
 * The local credentials of each process of the platform, and the IAM role
 * (construct path in infra/terraform's stack) that process has in AWS. The
 * IAM gate recognises the caller by the access key id in the request's
 * signature, the way AWS recognises the role session of a task.
 */

export type LocalIdentity = 'api' | 'worker' | 'reconciler' | 'createUser' | 'scheduler' | 'migrate' | 'operator';

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

interface IdentityDefinition {
  readonly accessKeyId: string;
  /**
   * The role in the synthesized stack whose policies decide, or `undefined`
   * for the operator: the test harness and the provisioning of the local
   * resources, which in AWS is `terraform apply` with an administrator's
   * credentials and is not what the gate is for.
   */
  readonly rolePath: string | undefined;
  readonly description: string;
  /**
   * Calls the service makes on its own behalf, not with the role: Scheduler
   * finds an SQS target's queue from its ARN itself (its execution role only
   * needs sqs:SendMessage, per its SQS target docs), which the stand-in does
   * with GetQueueUrl.
   */
  readonly ownActions?: readonly string[];
}

export const IDENTITIES: Readonly<Record<LocalIdentity, IdentityDefinition>> = {
  api: { accessKeyId: 'LOCALAPITASK', rolePath: 'iam/api-task-role', description: 'the API service' },
  worker: { accessKeyId: 'LOCALWORKERTASK', rolePath: 'iam/worker-task-role', description: 'the export worker' },
  // Both run as one-off tasks of the API's task definition in AWS, so with its task role.
  reconciler: { accessKeyId: 'LOCALRECONCILER', rolePath: 'iam/api-task-role', description: 'the schedule reconciler (API task role)' },
  createUser: { accessKeyId: 'LOCALCREATEUSER', rolePath: 'iam/api-task-role', description: 'the create-user script (API task role)' },
  scheduler: {
    accessKeyId: 'LOCALSCHEDULER',
    rolePath: 'scheduler/target-role',
    description: 'EventBridge Scheduler delivering a schedule',
    ownActions: ['sqs:GetQueueUrl'],
  },
  migrate: { accessKeyId: 'LOCALMIGRATE', rolePath: 'migrate-task/task-role', description: 'the migrate task' },
  operator: { accessKeyId: 'LOCALOPERATOR', rolePath: undefined, description: 'the operator (provisioning, test harness)' },
};

/** The credentials a process of `identity` signs with locally. */
export function localCredentials(identity: LocalIdentity): LocalCredentials {
  return { accessKeyId: IDENTITIES[identity].accessKeyId, secretAccessKey: `local-secret-${identity}` };
}

/** The identity an access key id belongs to, or undefined for keys the platform never hands out. */
export function identityOf(accessKeyId: string): LocalIdentity | undefined {
  for (const [identity, definition] of Object.entries(IDENTITIES) as [LocalIdentity, IdentityDefinition][]) {
    if (definition.accessKeyId === accessKeyId) return identity;
  }
  return undefined;
}
