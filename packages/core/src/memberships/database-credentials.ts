import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg, { Pool, type PoolClient, type PoolConfig } from 'pg';
import { clientOptions, type AwsClientSettings, type AwsTimeouts } from '../aws/clients';
import { DomainError } from '../errors';

/**
 * A PostgreSQL role's credentials as its Secrets Manager secret holds them:
 * the JSON shape RDS uses for its managed master secret
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html),
 * which `migrate` writes for the service roles too.
 */
export interface DatabaseSecret {
  readonly username: string;
  readonly password: string;
}

/** SQLSTATE 28P01 invalid_password (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const INVALID_PASSWORD = '28P01';

/** The secret is missing, empty, or not `{"username","password"}`; or it names another user than the connection. */
export class DatabaseCredentialsError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('database_credentials_invalid', message, options);
  }
}

/** Parses a secret's `SecretString`; `secretId` only names it in the error. */
export function parseDatabaseSecret(secretString: string | undefined, secretId: string): DatabaseSecret {
  let value: unknown;
  try {
    value = JSON.parse(secretString ?? '');
  } catch (error) {
    throw new DatabaseCredentialsError(`Secret ${secretId} is not JSON (expected {"username","password"}).`, { cause: error });
  }
  const { username, password } = (value ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || !username || typeof password !== 'string' || !password) {
    throw new DatabaseCredentialsError(`Secret ${secretId} must hold {"username","password"} with non-empty strings.`);
  }
  return { username, password };
}

/** A Secrets Manager client for database secrets, built like every other client of the service. */
export function databaseSecretsClient(settings: AwsClientSettings, timeouts?: AwsTimeouts): SecretsManagerClient {
  return new SecretsManagerClient(clientOptions(settings, 'secretsManager', timeouts));
}

/** Reads the AWSCURRENT value of a database secret (GetSecretValue's default stage). */
export async function readDatabaseSecret(client: SecretsManagerClient, secretId: string): Promise<DatabaseSecret> {
  const value = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  return parseDatabaseSecret(value.SecretString, secretId);
}

export interface RotatingPasswordOptions {
  /** Fetches the current credentials, e.g. `() => readDatabaseSecret(client, arn)`. */
  readonly fetch: () => Promise<DatabaseSecret>;
  /** The user the connections log in as (DATABASE_URL's); the secret must be for the same user. */
  readonly username: string;
  /** Releases what `fetch` holds (its Secrets Manager client); called by close(). */
  readonly close?: () => void;
}

/**
 * The password of a role whose secret can change under a running process
 * (rotation). It is fetched on first use, not at start-up, so a service
 * starts while its secret has no value yet (the first deploy creates the
 * services before `migrate` fills it); a failed fetch is not kept, so the
 * next connection tries again. The value is cached until PostgreSQL refuses
 * it (invalidate()).
 */
export class RotatingPassword {
  private current: Promise<string> | undefined;

  constructor(private readonly options: RotatingPasswordOptions) {}

  /** pg's `password` option: called for every new connection. */
  readonly password = (): Promise<string> => {
    this.current ??= this.options.fetch().then((secret) => {
      if (secret.username !== this.options.username) {
        throw new DatabaseCredentialsError(
          `The database secret is for user "${secret.username}", but the connection logs in as "${this.options.username}".`,
        );
      }
      return secret.password;
    });
    const fetching = this.current;
    fetching.catch(() => {
      if (this.current === fetching) this.current = undefined;
    });
    return fetching;
  };

  /** Drops the cached value: the next connection reads the secret again. */
  invalidate(): void {
    this.current = undefined;
  }

  /** When the process is done with the database. */
  close(): void {
    this.options.close?.();
  }
}

export interface AuthenticationRetry {
  /** Connection attempts in all, the first included. Default 4. */
  readonly attempts?: number;
  /** Wait before the first retry; doubles on each. Default 250 ms (so 0.25 + 0.5 + 1 s at most). */
  readonly baseDelayMs?: number;
}

const isInvalidPassword = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === INVALID_PASSWORD;

export interface CredentialPoolConfig extends PoolConfig {
  /** Unset: the password of `connectionString` / `password` / PGPASSWORD, as a plain pg.Pool. */
  readonly rotatingPassword?: RotatingPassword | undefined;
  readonly authenticationRetry?: AuthenticationRetry;
}

/**
 * A pg.Pool whose new connections take the password from a RotatingPassword.
 * When PostgreSQL refuses it (28P01: the secret was rotated since it was
 * read), the cached value is dropped and the connection is tried again after
 * a short, doubling wait (the rotation updates the role and the secret one
 * after the other), a bounded number of times; then the error goes to the
 * caller: the unit of work fails, the process stays up.
 */
export class CredentialPool extends Pool {
  private readonly rotating: RotatingPassword | undefined;
  private readonly attempts: number;
  private readonly baseDelayMs: number;

  constructor({ rotatingPassword, authenticationRetry, ...config }: CredentialPoolConfig = {}) {
    super(rotatingPassword ? { ...config, Client: rotatingPasswordClient(rotatingPassword) } : config);
    this.rotating = rotatingPassword;
    this.attempts = Math.max(1, authenticationRetry?.attempts ?? 4);
    this.baseDelayMs = authenticationRetry?.baseDelayMs ?? 250;
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(
    callback?: (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void,
  ): Promise<PoolClient> | undefined {
    const connecting = this.rotating ? this.connectRetrying() : super.connect();
    if (!callback) return connecting;
    // The callback form is what pool.query() and TypeORM use.
    connecting.then(
      (client) => callback(undefined, client, (release) => client.release(release as boolean | Error | undefined)),
      (error: Error) => callback(error, undefined, () => undefined),
    );
  }

  private async connectRetrying(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.connect();
      } catch (error) {
        if (!isInvalidPassword(error) || attempt >= this.attempts) throw error;
        this.rotating!.invalidate();
        await new Promise((resolve) => setTimeout(resolve, this.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}

/**
 * A pg.Client class whose password is the RotatingPassword's function. Set
 * after construction because pg lets a connection string's (empty) password
 * win over a `password` option.
 *
 * When the password cannot be had (secret empty, unreadable), pg fails the
 * connect but leaves the socket open mid-handshake, and the server keeps that
 * backend waiting for the password until its authentication_timeout (60 s by
 * default): a connection slot lost per attempt, and a DROP DATABASE that
 * waits for it. So the socket is closed before the error goes on.
 */
function rotatingPasswordClient(rotatingPassword: RotatingPassword): typeof pg.Client {
  return class RotatingPasswordClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      (this as { password: unknown }).password = async (): Promise<string> => {
        try {
          return await rotatingPassword.password();
        } catch (error) {
          (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
          throw error;
        }
      };
    }
  };
}

/**
 * The `pg` module with Pool replaced by a CredentialPool for `rotatingPassword`,
 * for TypeORM's `driver` option (TypeORM builds its pool from `driver.Pool`).
 */
export function credentialPoolDriver(rotatingPassword: RotatingPassword, authenticationRetry?: AuthenticationRetry): typeof pg {
  class DriverPool extends CredentialPool {
    constructor(config: PoolConfig) {
      super({ ...config, rotatingPassword, authenticationRetry });
    }
  }
  return Object.assign(Object.create(pg) as typeof pg, { Pool: DriverPool });
}

/** The user name a connection URL logs in as (decoded), or undefined. */
export function databaseUser(url: string): string | undefined {
  const user = new URL(url).username;
  return user ? decodeURIComponent(user) : undefined;
}

export interface ServiceDatabaseCredentials {
  /** DATABASE_URL: who and where; its password, if any, is used only without a secret. */
  readonly url: string;
  /** DATABASE_SECRET_ARN; unset: the URL's password (or PGPASSWORD), as before. */
  readonly secretArn?: string | undefined;
  readonly aws: AwsClientSettings;
  readonly awsTimeouts?: AwsTimeouts;
}

/**
 * The RotatingPassword for a service's database login, or undefined when it
 * has no secret. The Secrets Manager client is created here; close() destroys it.
 */
export function serviceRotatingPassword(options: ServiceDatabaseCredentials): RotatingPassword | undefined {
  if (!options.secretArn) return undefined;
  const username = databaseUser(options.url);
  if (!username) throw new DatabaseCredentialsError('DATABASE_URL must name the user (the service role) when DATABASE_SECRET_ARN is set.');
  const client = databaseSecretsClient(options.aws, options.awsTimeouts);
  const secretArn = options.secretArn;
  return new RotatingPassword({ username, fetch: () => readDatabaseSecret(client, secretArn), close: () => client.destroy() });
}
