import type { AwsClientSettings, AwsTimeouts } from '../aws/clients';
import type { CheckedValues } from './read-config';
import { string, url, type ConfigValues } from './variables';

/**
 * The variables every AWS-using service reads the same way. AWS_REGION and
 * the SDK's own per-service endpoint variables: unset in production
 * (regional endpoints), emulator URLs locally. AWS_ACCESS_KEY_ID +
 * AWS_SECRET_ACCESS_KEY, when both are set, are the service's static keys
 * (local platform and tests); in AWS neither is set and the SDK uses the task
 * role. AWS_SESSION_TOKEN goes with them when set (temporary keys).
 */
export const awsVariables = {
  AWS_REGION: string({ doc: 'region of the AWS clients' }),
  AWS_ENDPOINT_URL_DYNAMODB: url({ optional: true, doc: 'custom DynamoDB endpoint (local emulator); unset: AWS' }),
  AWS_ENDPOINT_URL_SQS: url({ optional: true, doc: 'custom SQS endpoint; unset: AWS' }),
  AWS_ENDPOINT_URL_S3: url({ optional: true, doc: 'custom S3 endpoint; unset: AWS' }),
  AWS_ENDPOINT_URL_SESV2: url({ optional: true, doc: 'custom SES v2 endpoint; unset: AWS' }),
  AWS_ENDPOINT_URL_SCHEDULER: url({ optional: true, doc: 'custom EventBridge Scheduler endpoint; unset: AWS' }),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: url({ optional: true, doc: 'custom Secrets Manager endpoint; unset: AWS' }),
  AWS_ENDPOINT_URL_EVENTBRIDGE: url({ optional: true, doc: 'custom EventBridge endpoint (the bus of completion events); unset: AWS' }),
  AWS_ACCESS_KEY_ID: string({ optional: true, doc: 'static access key, set with AWS_SECRET_ACCESS_KEY; unset: the task role' }),
  AWS_SECRET_ACCESS_KEY: string({ optional: true, doc: 'secret of AWS_ACCESS_KEY_ID' }),
  AWS_SESSION_TOKEN: string({ optional: true, doc: 'session token of temporary static keys' }),
};

type AwsVariables = typeof awsVariables;

/** Half a key pair is a mistake, not a choice: refused rather than silently falling back to the default chain. */
export function awsKeysSetTogether(values: CheckedValues<AwsVariables>): string | undefined {
  return (values.AWS_ACCESS_KEY_ID === undefined) !== (values.AWS_SECRET_ACCESS_KEY === undefined)
    ? 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together'
    : undefined;
}

/** The client settings the AWS variables describe. */
export function awsSettings(values: ConfigValues<AwsVariables>): AwsClientSettings {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = values;
  return {
    region: values.AWS_REGION,
    endpoints: {
      dynamodb: values.AWS_ENDPOINT_URL_DYNAMODB,
      sqs: values.AWS_ENDPOINT_URL_SQS,
      s3: values.AWS_ENDPOINT_URL_S3,
      ses: values.AWS_ENDPOINT_URL_SESV2,
      scheduler: values.AWS_ENDPOINT_URL_SCHEDULER,
      secretsManager: values.AWS_ENDPOINT_URL_SECRETS_MANAGER,
      events: values.AWS_ENDPOINT_URL_EVENTBRIDGE,
    },
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  };
}

/**
 * The deadlines AWS_CONNECT_TIMEOUT_SECONDS and AWS_REQUEST_TIMEOUT_SECONDS give. Each service
 * describes the two itself (its defaults differ: an API request waits less than an export).
 */
export function awsTimeouts(values: {
  readonly AWS_CONNECT_TIMEOUT_SECONDS: number;
  readonly AWS_REQUEST_TIMEOUT_SECONDS: number;
}): AwsTimeouts {
  return { connectionTimeoutMs: values.AWS_CONNECT_TIMEOUT_SECONDS * 1000, requestTimeoutMs: values.AWS_REQUEST_TIMEOUT_SECONDS * 1000 };
}
