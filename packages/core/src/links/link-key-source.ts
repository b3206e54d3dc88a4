import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidLinkKeyError, linkKeyId, signingKey, type LinkKeyring, type SigningKey } from './signed-link';

/**
 * The link signing keys, read from the platform's Secrets Manager secret
 * (LINK_SIGNING_SECRET_ARN, value `{"key":"<at least 32 characters>"}`):
 * its AWSCURRENT version signs, its AWSPREVIOUS version (the key before the
 * last rotation) still verifies. Rotating is writing a new version
 * (infra's `link_signing_key_version`): Secrets Manager moves the labels
 * itself, and the services pick the new key up at their next refresh, with
 * no restart. https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version
 *
 * Read at run time rather than injected by ECS at task start, so a rotation
 * reaches running tasks, and an API task that meets a token signed with a
 * key newer than its cache refreshes at once (at most every 5 s) instead
 * of refusing a valid link for minutes.
 */

export interface LinkKeySourceOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** How long keys are used before they are read again. Default 5 minutes. */
  readonly refreshMs?: number;
  /** Least time between two reads forced by an unknown key id. Default 5 s. */
  readonly forcedRefreshMs?: number;
  readonly now?: () => Date;
}

export class LinkKeySecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LinkKeySecretError';
  }
}

export class LinkKeySource {
  private cached: { keyring: LinkKeyring; readAt: number } | undefined;
  private reading: Promise<LinkKeyring> | undefined;
  private readonly now: () => Date;

  constructor(private readonly options: LinkKeySourceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** The keys to sign with (`current`) and to verify with (both). */
  async keyring(): Promise<LinkKeyring> {
    const cached = this.cached;
    if (cached && this.age(cached) < (this.options.refreshMs ?? 300_000)) return cached.keyring;
    return this.read();
  }

  /**
   * The keys to verify `token` with: when it names a key the cache does not
   * hold (the secret was rotated since the last read), the secret is read
   * again first, unless that happened within the last 5 s (so a flood of
   * forged key ids costs one read per 5 s, and a link signed with a key
   * rotated in moments ago is refused for at most that long).
   */
  async keyringFor(token: string): Promise<LinkKeyring> {
    const keyring = await this.keyring();
    const keyId = linkKeyId(token);
    const known = keyId === undefined || keyId === keyring.current.id || keyId === keyring.previous?.id;
    if (known || !this.cached || this.age(this.cached) < (this.options.forcedRefreshMs ?? 5000)) return keyring;
    return this.read();
  }

  private age(cached: { readAt: number }): number {
    return this.now().getTime() - cached.readAt;
  }

  private read(): Promise<LinkKeyring> {
    this.reading ??= this.readSecret().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readSecret(): Promise<LinkKeyring> {
    const current = await this.version('AWSCURRENT');
    if (!current) throw new LinkKeySecretError(`The link signing secret ${this.options.secretId} has no value (no AWSCURRENT version).`);
    const previous = await this.version('AWSPREVIOUS');
    const keyring: LinkKeyring = { current, ...(previous ? { previous } : {}) };
    this.cached = { keyring, readAt: this.now().getTime() };
    return keyring;
  }

  private async version(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<SigningKey | undefined> {
    let value: { SecretString?: string | undefined; CreatedDate?: Date | undefined };
    try {
      value = await this.options.client.send(new GetSecretValueCommand({ SecretId: this.options.secretId, VersionStage: stage }));
    } catch (error) {
      // No AWSPREVIOUS before the first rotation (and no AWSCURRENT in a secret created empty).
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    return parseKey(value.SecretString, this.options.secretId, stage, value.CreatedDate);
  }
}

function parseKey(secretString: string | undefined, secretId: string, stage: string, createdAt: Date | undefined): SigningKey {
  let key: unknown;
  try {
    key = (JSON.parse(secretString ?? '') as { key?: unknown }).key;
  } catch (error) {
    throw new LinkKeySecretError(`The ${stage} value of the link signing secret ${secretId} is not JSON {"key": "..."}.`, { cause: error });
  }
  if (typeof key !== 'string') {
    throw new LinkKeySecretError(`The ${stage} value of the link signing secret ${secretId} has no string "key".`);
  }
  try {
    return signingKey(key, createdAt);
  } catch (error) {
    if (error instanceof InvalidLinkKeyError) throw new LinkKeySecretError(`${stage} of ${secretId}: ${error.message}`, { cause: error });
    throw error;
  }
}
