import type { ResourceNames } from '@memberships/core/contract';
import type { EnvironmentConfig } from '../environments';

/**
 * What every construct of one environment's stack knows about where it is
 * deployed. `names` comes from core's resourceNames(prefix): the same
 * function the services and the local platform use, so a table, queue or
 * bucket cannot be called one thing in code and another in AWS.
 */
export interface Deployment {
  readonly environment: EnvironmentConfig;
  readonly names: ResourceNames;
  /** Account id (the validated `aws_account_id` variable). */
  readonly accountId: string;
  /** `aws`, `aws-cn` or `aws-us-gov`, from the provider. */
  readonly partition: string;
  readonly region: string;
}

/** Tags every resource carries (the provider's default_tags add Environment/Project/ManagedBy). */
export function nameTag(deployment: Deployment, name: string): { Name: string } {
  return { Name: `${deployment.environment.prefix}-${name}` };
}
