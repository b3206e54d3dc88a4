import { EcsCluster as EcsClusterResource } from '@cdktn/provider-aws/lib/ecs-cluster';
import { EcsClusterCapacityProviders } from '@cdktn/provider-aws/lib/ecs-cluster-capacity-providers';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface EcsClusterProps {
  readonly deployment: Deployment;
}

/**
 * The Fargate cluster both services run in. Container Insights is on: besides
 * per-task metrics it publishes RunningTaskCount, the divisor of the worker's
 * backlog-per-task scaling metric.
 */
export class EcsCluster extends Construct {
  readonly cluster: EcsClusterResource;
  /** Services naming a capacity provider must wait for this association. */
  readonly capacityProviders: EcsClusterCapacityProviders;

  constructor(scope: Construct, id: string, props: EcsClusterProps) {
    super(scope, id);
    const prefix = props.deployment.environment.prefix;
    this.cluster = new EcsClusterResource(this, 'cluster', {
      name: prefix,
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
    this.capacityProviders = new EcsClusterCapacityProviders(this, 'capacity-providers', {
      clusterName: this.cluster.name,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    });
  }
}
