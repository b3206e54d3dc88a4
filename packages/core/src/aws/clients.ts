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
  };
}

export function clientOptions(settings: AwsClientSettings, service: keyof AwsClientSettings['endpoints']) {
  const endpoint = settings.endpoints[service];
  return {
    region: settings.region,
    ...(endpoint ? { endpoint } : {}),
    // S3 emulators and custom endpoints are addressed path-style (`/bucket/key`).
    ...(service === 's3' && endpoint ? { forcePathStyle: true } : {}),
  };
}
