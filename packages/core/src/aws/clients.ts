/**
 * Settings shared by every AWS SDK client of a service. `endpoint` is empty in
 * production (the SDK resolves the regional endpoint) and points at a local
 * emulator in development and tests: configuration is the only difference.
 */
export interface AwsClientSettings {
  readonly region: string;
  /** Custom endpoint per service; unset means the real AWS endpoint. */
  readonly endpoints: {
    readonly dynamodb?: string | undefined;
    readonly sqs?: string | undefined;
    readonly s3?: string | undefined;
    readonly ses?: string | undefined;
    readonly scheduler?: string | undefined;
    readonly secretsManager?: string | undefined;
    /** EventBridge (PutEvents on the bus of completion events); the SDK's own variable is AWS_ENDPOINT_URL_EVENTBRIDGE. */
    readonly events?: string | undefined;
  };
  /**
   * Static keys from the service's own configuration (AWS_ACCESS_KEY_ID and
   * AWS_SECRET_ACCESS_KEY in the environment it was given). Unset in AWS: the
   * SDK's default chain then finds the task role's credentials. Locally each
   * service process has its own pair, which the local IAM gate maps to that
   * service's role.
   */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
}

/**
 * Deadlines of every AWS SDK request. Without them a dependency that accepts
 * the TCP connection and never answers holds the caller forever (the SDK's
 * defaults are "no timeout").
 */
export interface AwsTimeouts {
  /** Time to establish the TCP (and TLS) connection. */
  readonly connectionTimeoutMs: number;
  /** Time for one whole request and its response (one S3 part, one SendEmail, one DynamoDB call). */
  readonly requestTimeoutMs: number;
}

/** Defaults for services that do not configure them: 3 s to connect, 30 s per request. */
export const DEFAULT_AWS_TIMEOUTS: AwsTimeouts = Object.freeze({ connectionTimeoutMs: 3000, requestTimeoutMs: 30_000 });

export function clientOptions(
  settings: AwsClientSettings,
  service: keyof AwsClientSettings['endpoints'],
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
) {
  const endpoint = settings.endpoints[service];
  return {
    region: settings.region,
    ...(endpoint ? { endpoint } : {}),
    // A fresh object per client: the SDK annotates the credentials it is given.
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    // S3 emulators and custom endpoints are addressed path-style (`/bucket/key`).
    ...(service === 's3' && endpoint ? { forcePathStyle: true } : {}),
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
