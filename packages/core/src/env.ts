import type { AwsClientSettings } from './aws/clients';
import { ConfigError } from './errors';

/**
 * Typed readers for environment variables, used by each service's config.ts
 * (the only place that reads `process.env`). Every reader names the variable
 * in its error so a misconfigured deployment says what to fix.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim();
    if (value) return value;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  integer(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  url(name: string, fallback?: string): string {
    const value = this.string(name, fallback);
    if (value && !URL.canParse(value)) this.problems.push(`${name} must be a URL, got "${value}"`);
    return value;
  }

  optionalUrl(name: string): string | undefined {
    const value = this.optionalString(name);
    if (value && !URL.canParse(value)) this.problems.push(`${name} must be a URL, got "${value}"`);
    return value;
  }

  /**
   * AWS_REGION and the SDK's own per-service endpoint variables
   * (AWS_ENDPOINT_URL_DYNAMODB, _SQS, _S3, _SESV2, _SCHEDULER,
   * _SECRETS_MANAGER): unset in production (regional endpoints), emulator URLs
   * locally. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, when both are set,
   * are the service's static keys (local platform and tests); in AWS neither
   * is set and the SDK uses the task role. AWS_SESSION_TOKEN goes with them
   * when set (temporary keys).
   */
  awsSettings(): AwsClientSettings {
    const accessKeyId = this.optionalString('AWS_ACCESS_KEY_ID');
    const secretAccessKey = this.optionalString('AWS_SECRET_ACCESS_KEY');
    const sessionToken = this.optionalString('AWS_SESSION_TOKEN');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      this.problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together');
    }
    return {
      region: this.string('AWS_REGION'),
      endpoints: {
        dynamodb: this.optionalUrl('AWS_ENDPOINT_URL_DYNAMODB'),
        sqs: this.optionalUrl('AWS_ENDPOINT_URL_SQS'),
        s3: this.optionalUrl('AWS_ENDPOINT_URL_S3'),
        ses: this.optionalUrl('AWS_ENDPOINT_URL_SESV2'),
        scheduler: this.optionalUrl('AWS_ENDPOINT_URL_SCHEDULER'),
        secretsManager: this.optionalUrl('AWS_ENDPOINT_URL_SECRETS_MANAGER'),
      },
      ...(accessKeyId && secretAccessKey
        ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
        : {}),
    };
  }

  /** Throws one ConfigError listing every problem found, so all of them can be fixed at once. */
  done(): void {
    if (this.problems.length > 0) {
      throw new ConfigError(`Invalid configuration:\n  - ${this.problems.join('\n  - ')}`);
    }
  }
}
