import { containerDefinitions, FARGATE_MAX_STOP_TIMEOUT_SECONDS } from './container-definition';

const spec = {
  name: 'worker',
  image: '123456789012.dkr.ecr.eu-central-1.amazonaws.com/memberships-worker:abc',
  environment: { ZETA: 'z', ALPHA: 'a', QUEUE: '${aws_sqs_queue.q.url}' },
  secrets: { PGPASSWORD: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf:password::' },
  logGroupName: '/ecs/memberships-staging/worker',
  region: 'eu-central-1',
  stopTimeoutSeconds: FARGATE_MAX_STOP_TIMEOUT_SECONDS,
};

describe('containerDefinitions', () => {
  it('writes one essential container with sorted variables, secrets by reference and Terraform references kept', () => {
    const [container, ...others] = JSON.parse(containerDefinitions(spec)) as Record<string, unknown>[];
    expect(others).toHaveLength(0);
    expect(container).toMatchObject({
      name: 'worker',
      essential: true,
      environment: [
        { name: 'ALPHA', value: 'a' },
        { name: 'QUEUE', value: '${aws_sqs_queue.q.url}' },
        { name: 'ZETA', value: 'z' },
      ],
      secrets: [{ name: 'PGPASSWORD', valueFrom: spec.secrets.PGPASSWORD }],
      readonlyRootFilesystem: true,
      mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }],
      stopTimeout: 120,
      portMappings: [],
    });
    expect(container).not.toHaveProperty('healthCheck');
  });

  it('refuses a stop timeout Fargate would reject', () => {
    expect(() => containerDefinitions({ ...spec, stopTimeoutSeconds: 121 })).toThrow("exceeds Fargate's 120s");
  });
});
