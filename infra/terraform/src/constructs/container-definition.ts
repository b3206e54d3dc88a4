/**
 * The one container of a task definition, as the JSON ECS expects. Values may
 * hold Terraform interpolations (`${aws_sqs_queue....url}`): JSON.stringify
 * keeps them as strings that Terraform resolves in place.
 */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  /** Plain environment variables (configuration that is not secret). */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables filled from Secrets Manager at task start: name → `valueFrom` (`<secret arn>:<json key>::`). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly logGroupName: string;
  readonly region: string;
  readonly containerPort?: number;
  /** Command run inside the container; exit 0 = healthy. */
  readonly healthCheckCommand?: readonly string[];
  /** Seconds between SIGTERM and SIGKILL (Fargate allows at most 120). */
  readonly stopTimeoutSeconds: number;
  /** Replaces the image's CMD (a one-off task of a service's image). */
  readonly command?: readonly string[];
}

/** Fargate's ceiling for stopTimeout. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;

/** Writable scratch space: the root filesystem is read-only. */
export const TMP_VOLUME = 'tmp';

export function containerDefinitions(spec: ContainerSpec): string {
  if (spec.stopTimeoutSeconds > FARGATE_MAX_STOP_TIMEOUT_SECONDS) {
    throw new Error(`${spec.name}: stopTimeout ${spec.stopTimeoutSeconds}s exceeds Fargate's ${FARGATE_MAX_STOP_TIMEOUT_SECONDS}s`);
  }
  const sorted = (record: Readonly<Record<string, string>>) => Object.keys(record).sort();
  const container = {
    name: spec.name,
    image: spec.image,
    essential: true,
    // Sorted: a plan shows a real change, not a reordering.
    environment: sorted(spec.environment).map((name) => ({ name, value: spec.environment[name] })),
    secrets: sorted(spec.secrets).map((name) => ({ name, valueFrom: spec.secrets[name] })),
    portMappings: spec.containerPort ? [{ name: 'http', containerPort: spec.containerPort, protocol: 'tcp', appProtocol: 'http' }] : [],
    readonlyRootFilesystem: true,
    mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: '/tmp', readOnly: false }],
    // A tiny init as PID 1 forwards SIGTERM to node and reaps zombies.
    linuxParameters: { initProcessEnabled: true },
    stopTimeout: spec.stopTimeoutSeconds,
    logConfiguration: {
      logDriver: 'awslogs',
      options: {
        'awslogs-group': spec.logGroupName,
        'awslogs-region': spec.region,
        'awslogs-stream-prefix': spec.name,
        // A slow CloudWatch must not block the process writing its logs.
        mode: 'non-blocking',
        'max-buffer-size': '25m',
      },
    },
    ...(spec.healthCheckCommand
      ? { healthCheck: { command: [...spec.healthCheckCommand], interval: 15, timeout: 5, retries: 3, startPeriod: 30 } }
      : {}),
    ...(spec.command ? { command: [...spec.command] } : {}),
  };
  return JSON.stringify([container]);
}
