import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import { localCredentials, type LocalCredentials } from './iam-gate';

/**
 * The operator's keys: provisioning of the local resources and the test
 * harness (what `terraform apply` and an administrator do in AWS). The IAM
 * gate lets the operator do anything; the services sign with their own keys
 * (serviceEnv), which it maps to their roles. Fixed keys also mean the SDK
 * never walks its credential chain (which could reach for a developer's real
 * profile or the instance metadata service on the network).
 */
export const LOCAL_CREDENTIALS: LocalCredentials = localCredentials('operator');

type Service = keyof AwsClientSettings['endpoints'];

/**
 * clientOptions() from core, plus the local credentials when the endpoint is
 * an emulator. A fresh credentials object per client: the SDK annotates it.
 */
export function localClientConfig(settings: AwsClientSettings, service: Service) {
  return { ...clientOptions(settings, service), ...(settings.endpoints[service] ? { credentials: { ...LOCAL_CREDENTIALS } } : {}) };
}

export const dynamoDbClient = (settings: AwsClientSettings) => new DynamoDBClient(localClientConfig(settings, 'dynamodb'));
export const sqsClient = (settings: AwsClientSettings) => new SQSClient(localClientConfig(settings, 'sqs'));
export const s3Client = (settings: AwsClientSettings) => new S3Client(localClientConfig(settings, 's3'));

/**
 * Puts the operator's keys and the local endpoints into `env` (process.env by
 * default) and drops a session token or profile from the developer's shell,
 * which would be sent along with the local keys: what the jest global setup
 * hands to the test workers (testAwsSettings reads it back), and what a
 * benchmark sets before it provisions resources the way the tests do.
 */
export function useLocalAwsEnvironment(settings: AwsClientSettings, env: NodeJS.ProcessEnv = process.env): void {
  const { endpoints } = settings;
  const variables: Record<string, string | undefined> = {
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_SESV2: endpoints.ses,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
  };
  // process.env turns undefined into the string "undefined": an endpoint the settings lack is removed instead.
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
}
