import { randomBytes } from 'node:crypto';
import { resourceNames, type AwsClientSettings, type ResourceNames } from '@memberships/core';
import { testAwsSettings } from './environment';
import { provisionResources, type ProvisionedQueues, type ProvisionOptions } from './provision';

export interface TestResources {
  /** AWS settings pointing at the emulators of the jest global setup. */
  readonly aws: AwsClientSettings;
  /** Random per call, e.g. `test-1a2b3c4d`: suites never see each other's data. */
  readonly prefix: string;
  readonly names: ResourceNames;
  readonly queueUrls: ProvisionedQueues;
}

/**
 * Provisions a fresh, isolated set of tables, queues and bucket (random
 * prefix) in the emulators started by the jest global setup. The emulators
 * are in memory and stopped after the run, so nothing needs deleting.
 */
export async function provisionTestResources(options: ProvisionOptions & { readonly prefix?: string } = {}): Promise<TestResources> {
  const aws = testAwsSettings();
  const prefix = options.prefix ?? `test-${randomBytes(4).toString('hex')}`;
  const names = resourceNames(prefix);
  const queueUrls = await provisionResources(aws, names, options);
  return { aws, prefix, names, queueUrls };
}
