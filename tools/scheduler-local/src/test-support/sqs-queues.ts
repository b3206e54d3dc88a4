import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SchedulerLocalError } from '../errors';

/**
 * Test helpers around the SQS emulator that the root jest global setup
 * (tools/local-platform) starts and announces in AWS_ENDPOINT_URL_SQS and
 * AWS_REGION: the stand-in's own client and queues. Reading a queue back
 * (drainQueue, jsonBodies) is the shared helper of @memberships/local-platform.
 */
export function testSqsSettings(env: NodeJS.ProcessEnv = process.env): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  const endpoint = env.AWS_ENDPOINT_URL_SQS?.trim();
  const region = env.AWS_REGION?.trim();
  // The keys the global setup exports (the operator's): the local IAM gate in front of SQS lets them do anything.
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!endpoint || !region || !accessKeyId || !secretAccessKey) {
    throw new SchedulerLocalError(
      'test_environment_missing',
      'AWS_ENDPOINT_URL_SQS, AWS_REGION and the AWS keys are not set: run the tests through the root jest config (its global setup starts the SQS emulator); build first with `npx tsc --build`.',
    );
  }
  return { endpoint, region, credentials: { accessKeyId, secretAccessKey } };
}

export function testSqsClient(): SQSClient {
  const { endpoint, region, credentials } = testSqsSettings();
  return new SQSClient({ endpoint, region, credentials });
}

export interface TestQueue {
  readonly url: string;
  readonly arn: string;
  readonly name: string;
}

/** A fresh queue with a random name, so tests never see each other's messages. */
export async function createTestQueue(client: SQSClient, label: string): Promise<TestQueue> {
  const name = `sched-${label}-${randomBytes(4).toString('hex')}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${name} has no QueueArn`);
  return { url: QueueUrl, arn, name };
}
