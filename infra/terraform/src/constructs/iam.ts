import { DataAwsIamPolicyDocument } from '@cdktn/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { tables, type TableKey } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface PolicyStatement {
  readonly sid: string;
  readonly effect?: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources?: readonly string[];
  readonly principals?: readonly { readonly type: string; readonly identifiers: readonly string[] }[];
  readonly conditions?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/**
 * Every policy of the platform is an `aws_iam_policy_document`, never a
 * hand-written JSON string: one shape that Terraform validates and that the
 * tests can walk statement by statement.
 */
export function policyDocument(scope: Construct, id: string, statements: readonly PolicyStatement[]): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: statements.map((s) => ({
      sid: s.sid,
      effect: s.effect ?? 'Allow',
      actions: [...s.actions],
      ...(s.resources ? { resources: [...s.resources] } : {}),
      ...(s.principals ? { principals: s.principals.map((p) => ({ type: p.type, identifiers: [...p.identifiers] })) } : {}),
      ...(s.conditions ? { condition: s.conditions.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })) } : {}),
    })),
  });
}

export interface ServiceRoleProps {
  readonly name: string;
  readonly description: string;
  /** Service principal allowed to assume the role, e.g. ecs-tasks.amazonaws.com. */
  readonly servicePrincipal: string;
  /** The account the calling service acts for (confused-deputy guard). */
  readonly sourceAccount: string;
  /**
   * Optional `aws:SourceArn` the calling service presents, narrowing which of its resources may
   * assume the role (EventBridge Scheduler: the schedule group's ARN; any of several).
   */
  readonly sourceArn?: string | readonly string[];
  readonly statements: readonly PolicyStatement[];
}

/** Who assumes an ECS task or execution role: the ECS tasks service, acting for this account only. */
export function ecsTaskTrust(deployment: Deployment): Pick<ServiceRoleProps, 'servicePrincipal' | 'sourceAccount'> {
  return { servicePrincipal: 'ecs-tasks.amazonaws.com', sourceAccount: deployment.accountId };
}

/** A role one AWS service assumes, with exactly one inline policy. No managed policies: they grant `*` resources. */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust = policyDocument(this, 'trust', [
      {
        sid: 'AssumedByService',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: [props.servicePrincipal] }],
        conditions: [
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.sourceAccount] },
          ...(props.sourceArn
            ? [
                {
                  test: 'ArnEquals',
                  variable: 'aws:SourceArn',
                  values: typeof props.sourceArn === 'string' ? [props.sourceArn] : [...props.sourceArn],
                },
              ]
            : []),
        ],
      },
    ]);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: trust.json,
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: 'least-privilege',
      role: this.role.id,
      policy: policyDocument(this, 'permissions', props.statements).json,
    });
  }

  get arn(): string {
    return this.role.arn;
  }
}

/** DynamoDB actions the services use (see the JobStore and UserStore in core). */
export type DynamoDbAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'ConditionCheckItem'
  | 'DescribeTable';

/**
 * What each service does to each table, derived from the code:
 * - API: JobStore.create (a TransactWriteItems of conditional Puts on the job
 *   and guard items: IAM authorises each item as PutItem), get/getForUser,
 *   listForUser (Query on the `byUser` index), fail after a failed enqueue
 *   and cancel (UpdateItem + deleting the active guard), readiness (DescribeTable);
 *   UserStore.findByEmail/get for login, setEmailedDownloadLinks (UpdateItem);
 *   the emailed links' download records and revocation (JobStore.recordDownload/revokeLinks, UpdateItem).
 * - Worker: JobStore.claim/heartbeat/complete/fail/release (UpdateItem),
 *   get and isCanceled (GetItem), clearing the active guard on complete/fail (DeleteItem),
 *   listExpiringIn for the expiry sweep (Query on `byExpiryHour`), whose cursor is an item
 *   of the webhooks table (GetItem, conditional PutItem);
 *   UserStore.get for the recipient address.
 * Typed over core's TableKey: a new table in core does not compile here until
 * someone decides what each service may do with it.
 */
export const TABLE_ACCESS: Readonly<Record<'api' | 'worker', Readonly<Record<TableKey, readonly DynamoDbAction[]>>>> = {
  api: {
    exportJobs: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'DescribeTable'],
    exportGuards: ['GetItem', 'PutItem', 'DeleteItem'],
    // Login and /me read users; the admin route creates them (user item + email claim);
    // PATCH /v1/me sets the account's emailed-links switch (a conditional UpdateItem).
    users: ['GetItem', 'PutItem', 'UpdateItem'],
    // Issue, rotate (conditional update + put + family check in one transaction), revoke.
    refreshTokens: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'],
    // Fixed-window counters per account and per client address: a conditional Put opens a
    // window, an Update counts in it, a Delete clears the account's on success.
    loginAttempts: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
    // Schedule CRUD, with the per-user count item written in the same transaction.
    // The reconciler scans the table for records whose Scheduler schedule is missing.
    exportSchedules: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'ConditionCheckItem'],
    // Webhook endpoint CRUD with the per-user count item in the same transaction (as schedules),
    // the deliveries list (Query on `byEndpoint`) and a re-send by hand (UpdateItem).
    webhooks: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'ConditionCheckItem'],
  },
  worker: {
    // Scheduled exports create their job (deterministic id) before running it; the expiry
    // sweep reads an hour's expiring files (Query on `byExpiryHour`, see QUERIED_INDEXES).
    exportJobs: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    exportGuards: ['DeleteItem'],
    users: ['GetItem'],
    refreshTokens: [],
    loginAttempts: [],
    // Reads the schedule behind a tick; records when it last fired.
    exportSchedules: ['GetItem', 'UpdateItem'],
    // The fan-out lists the user's endpoints (Query on `byOwner`) and writes each delivery once
    // (conditional PutItem); each attempt updates the delivery and the endpoint (UpdateItem).
    webhooks: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
  },
};

/**
 * Where a service queries only some of a table's indexes; a table not named
 * here with 'Query' above allows every index of the table. The API lists a
 * user's jobs, the worker sweeps an hour's expiring files: neither reads the
 * other's index.
 */
export const QUERIED_INDEXES: Readonly<Record<'api' | 'worker', Partial<Record<TableKey, readonly string[]>>>> = {
  api: { exportJobs: ['byUser'] },
  worker: { exportJobs: ['byExpiryHour'] },
};

/** Key prefix of export files; the worker writes `exports/<userId>/<jobId>.csv`. */
export const EXPORT_OBJECT_PREFIX = 'exports/';

export interface TaskIamProps {
  readonly deployment: Deployment;
  readonly tableArns: Readonly<Record<TableKey, string>>;
  readonly queueArn: string;
  readonly deadLetterQueueArn: string;
  /** The webhook queue (completion events and deliveries) and its dead-letter queue. */
  readonly webhookQueueArn: string;
  readonly webhookDeadLetterQueueArn: string;
  /** The EventBridge bus of completion events (the worker puts them). */
  readonly eventBusArn: string;
  readonly bucketArn: string;
  readonly sesIdentityArn: string;
  readonly sesConfigurationSetArn: string;
  readonly apiLogGroupArn: string;
  readonly workerLogGroupArn: string;
  readonly apiRepositoryArn: string;
  readonly workerRepositoryArn: string;
  readonly jwtSecretArn: string;
  /** Each service's own database login secret (its PostgreSQL role), read by its code at run time. */
  readonly databaseLoginSecretArns: Readonly<Record<'api' | 'worker', string>>;
  /** The HMAC key of the emailed download links: the worker signs with it, the API verifies; both read it at run time. */
  readonly linkSigningSecretArn: string;
  /** EventBridge Scheduler group of the export subscriptions, and the role its schedules deliver with. */
  readonly scheduleGroupName: string;
  readonly schedulerRoleArn: string;
}

/**
 * The four roles of the two services. A task role is what the code may do;
 * an execution role is what ECS may do to start the task (pull the image,
 * write logs, read the task's secrets). Each service gets its own pair, so
 * the worker cannot read the JWT signing key and the API cannot send email.
 */
export class TaskIam extends Construct {
  readonly apiTaskRole: ServiceRole;
  readonly apiExecutionRole: ServiceRole;
  readonly workerTaskRole: ServiceRole;
  readonly workerExecutionRole: ServiceRole;

  constructor(scope: Construct, id: string, props: TaskIamProps) {
    super(scope, id);
    const { deployment } = props;
    const prefix = deployment.environment.prefix;
    const exportObjects = `${props.bucketArn}/${EXPORT_OBJECT_PREFIX}*`;
    const ecsTasks = ecsTaskTrust(deployment);

    this.apiTaskRole = new ServiceRole(this, 'api-task-role', {
      ...ecsTasks,
      name: `${prefix}-api-task`,
      description: 'What the API code may do: jobs and users in DynamoDB, enqueue exports, presign downloads.',
      statements: [
        ...tableStatements('api', props.tableArns),
        {
          sid: 'EnqueueExports',
          actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
          resources: [props.queueArn],
        },
        {
          // Cancel events and the re-sends asked for by hand (POST .../deliveries/{id}/resend).
          sid: 'SendWebhookEvents',
          actions: ['sqs:SendMessage'],
          resources: [props.webhookQueueArn],
        },
        {
          // Presigned download URLs are signed with the task role: it must be allowed to read the object itself.
          sid: 'PresignExportDownloads',
          actions: ['s3:GetObject'],
          resources: [exportObjects],
        },
        {
          // One schedule per subscription, only in the platform's own group (routes/export-schedules, reconciler).
          sid: 'ManageExportSchedules',
          actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
          resources: [
            `arn:${deployment.partition}:scheduler:${deployment.region}:${deployment.accountId}:schedule/${props.scheduleGroupName}/*`,
          ],
        },
        {
          // ListSchedules supports no resource-level permission (Service Authorization Reference:
          // no resource type), so IAM only matches it against "*"; the reconciler passes GroupName.
          sid: 'ListExportSchedules',
          actions: ['scheduler:ListSchedules'],
          resources: ['*'],
        },
        {
          // Creating a schedule hands it the delivery role; only that role may be passed, only to the Scheduler.
          sid: 'PassSchedulerRole',
          actions: ['iam:PassRole'],
          resources: [props.schedulerRoleArn],
          conditions: [{ test: 'StringEquals', variable: 'iam:PassedToService', values: ['scheduler.amazonaws.com'] }],
        },
        databaseLoginStatement(props.databaseLoginSecretArns.api),
        linkSigningKeyStatement(props.linkSigningSecretArn),
      ],
    });

    this.workerTaskRole = new ServiceRole(this, 'worker-task-role', {
      ...ecsTasks,
      name: `${prefix}-worker-task`,
      description: 'What the worker code may do: consume export requests, update jobs, store files, send email.',
      statements: [
        ...tableStatements('worker', props.tableArns),
        {
          sid: 'ConsumeExportRequests',
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          resources: [props.queueArn],
        },
        {
          // Messages the worker cannot parse go straight to the DLQ instead of waiting for the redrive.
          sid: 'DeadLetterUnreadableMessages',
          actions: ['sqs:SendMessage'],
          resources: [props.deadLetterQueueArn],
        },
        {
          // The webhook lanes: receive, delete when delivered, hide for the backoff (ChangeMessageVisibility);
          // SendMessage for the fan-out of one event into a delivery message per endpoint.
          sid: 'ConsumeWebhookEvents',
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
          resources: [props.webhookQueueArn],
        },
        {
          // As for the exports: a message the worker cannot parse goes straight to the DLQ.
          sid: 'DeadLetterUnreadableWebhookMessages',
          actions: ['sqs:SendMessage'],
          resources: [props.webhookDeadLetterQueueArn],
        },
        {
          // Completion events on the platform's bus only (not the account's default bus).
          sid: 'PutCompletionEvents',
          actions: ['events:PutEvents'],
          resources: [props.eventBusArn],
        },
        {
          // PutObject covers the multipart upload calls (Create/UploadPart/Complete); GetObject is for the emailed presigned link.
          sid: 'StoreExportFiles',
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          resources: [exportObjects],
        },
        {
          // SES authorises SendEmail against the sending identity and the configuration set.
          sid: 'SendExportEmails',
          actions: ['ses:SendEmail'],
          resources: [props.sesIdentityArn, props.sesConfigurationSetArn],
        },
        databaseLoginStatement(props.databaseLoginSecretArns.worker),
        linkSigningKeyStatement(props.linkSigningSecretArn),
      ],
    });

    this.apiExecutionRole = new ServiceRole(this, 'api-execution-role', {
      ...ecsTasks,
      name: `${prefix}-api-execution`,
      description: 'What ECS may do to start API tasks: pull the image, write logs, read the JWT key and database password.',
      statements: executionStatements(props.apiRepositoryArn, props.apiLogGroupArn, [props.jwtSecretArn]),
    });

    this.workerExecutionRole = new ServiceRole(this, 'worker-execution-role', {
      ...ecsTasks,
      name: `${prefix}-worker-execution`,
      description: 'What ECS may do to start worker tasks: pull the image, write logs, read the database password.',
      // The database login is read by the code (task role, DATABASE_SECRET_ARN), not injected: nothing here.
      statements: executionStatements(props.workerRepositoryArn, props.workerLogGroupArn, []),
    });
  }

  /** The inline policies a service's tasks need before they start. */
  policies(service: 'api' | 'worker'): IamRolePolicy[] {
    return service === 'api'
      ? [this.apiTaskRole.policy, this.apiExecutionRole.policy]
      : [this.workerTaskRole.policy, this.workerExecutionRole.policy];
  }
}

function tableStatements(service: 'api' | 'worker', tableArns: Readonly<Record<TableKey, string>>): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const key of Object.keys(tables) as TableKey[]) {
    const actions = TABLE_ACCESS[service][key];
    const tableLevel = actions.filter((a) => a !== 'Query');
    const sid = key.charAt(0).toUpperCase() + key.slice(1);
    if (tableLevel.length > 0) {
      statements.push({ sid: `${sid}Items`, actions: tableLevel.map((a) => `dynamodb:${a}`), resources: [tableArns[key]] });
    }
    if (actions.includes('Query')) {
      // Only the indexes are queried; the base table's key is the item id.
      const defined = tables[key].globalIndexes.map((index) => index.name as string);
      const names = QUERIED_INDEXES[service][key] ?? defined;
      const unknown = names.filter((name) => !defined.includes(name));
      if (unknown.length > 0)
        throw new Error(`QUERIED_INDEXES.${service}.${key} names indexes ${key} does not have: ${unknown.join(', ')}`);
      const indexes = names.map((name) => `${tableArns[key]}/index/${name}`);
      if (indexes.length > 0) statements.push({ sid: `${sid}Indexes`, actions: ['dynamodb:Query'], resources: indexes });
    }
  }
  return statements;
}

/**
 * The service reads its own database login (its role's secret) at run time,
 * and again after a rotation; only that secret, only GetSecretValue.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
function databaseLoginStatement(secretArn: string): PolicyStatement {
  return { sid: 'ReadDatabaseLogin', actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] };
}

/**
 * The link signing key, read by the code at run time (LINK_SIGNING_SECRET_ARN), not injected by
 * ECS: its AWSPREVIOUS version too, which a task-definition secret cannot name by stage, and a
 * rotation reaches running tasks without a restart. Only that secret, only GetSecretValue
 * (which covers every version and staging label of it).
 */
function linkSigningKeyStatement(secretArn: string): PolicyStatement {
  return { sid: 'ReadLinkSigningKey', actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] };
}

export function executionStatements(repositoryArn: string, logGroupArn: string, secretArns: readonly string[]): PolicyStatement[] {
  return [
    {
      // The one action here that AWS only authorises on "*": the registry token is account-wide.
      sid: 'EcrLogin',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    },
    {
      sid: 'PullImage',
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      resources: [repositoryArn],
    },
    {
      // `<group arn>:*` matches the group (CreateLogStream) and its streams (PutLogEvents), nothing else.
      sid: 'WriteLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${logGroupArn}:*`],
    },
    // Only secrets the task definition injects (ECS reads them at task start); none, no statement.
    ...(secretArns.length > 0 ? [{ sid: 'ReadTaskSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }] : []),
  ];
}
