import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createDataSource } from './data-source';
import { parseDatabaseSecret, readDatabaseSecret, type DatabaseSecret } from './database-credentials';
import { quoteRole, type ServiceName } from './database-roles';
import { ensureServiceRoles } from './migrations/1764100000000-create-service-roles';

/** A service's login role and the secret that holds its password. */
export interface ServiceRoleSecret {
  readonly role: string;
  /** Name or ARN of the secret (JSON `{"username","password"}`); it must exist, a value is optional. */
  readonly secretId: string;
}

/** pino's shape (`log.info(fields, message)`), so callers pass their logger. */
export interface MigrateLog {
  info(fields: Record<string, unknown>, message: string): void;
}

export interface MigrateDatabaseOptions {
  /** The database, as the master (owner) user; its password is used only without `masterSecretId`. */
  readonly databaseUrl: string;
  /** The RDS-managed master secret: its username and password replace the URL's. */
  readonly masterSecretId?: string | undefined;
  readonly roles: Readonly<Record<ServiceName, ServiceRoleSecret>>;
  readonly secrets: SecretsManagerClient;
  /** New passwords for both roles even when their secrets have one. */
  readonly rotate?: boolean;
  readonly connectTimeoutMs?: number;
  readonly log?: MigrateLog;
}

/**
 * What happened to each role's password: `generated` (new password written
 * to the secret and set on the role) or `kept` (the secret's password set on
 * the role again, which also repairs a run that stopped between the two).
 */
export type PasswordAction = 'generated' | 'kept';

export interface MigrateResult {
  /** Names of the migrations this run applied. */
  readonly migrations: readonly string[];
  readonly passwords: Readonly<Record<ServiceName, PasswordAction>>;
}

const SERVICES: readonly ServiceName[] = ['api', 'worker'];

/**
 * `migrate`: brings the schema and the service roles (ensureServiceRoles,
 * on every run) up to date and gives
 * each role the password its secret holds, generating one when the secret has
 * none yet or `rotate` is set. The new value is written to the secret first,
 * then set on the role: running services that read it in between are refused
 * once and retry (CredentialPool), and a run that fails between the two steps
 * is repaired by running it again. Passwords reach PostgreSQL only as SCRAM
 * verifiers, so no statement log shows them. Terraform never sees them.
 */
export async function migrateDatabase(options: MigrateDatabaseOptions): Promise<MigrateResult> {
  const url = options.masterSecretId
    ? withCredentials(options.databaseUrl, await readDatabaseSecret(options.secrets, options.masterSecretId))
    : options.databaseUrl;
  const roleNames = { api: options.roles.api.role, worker: options.roles.worker.role };
  const dataSource = createDataSource({
    url,
    poolSize: 1,
    connectTimeoutMs: options.connectTimeoutMs,
    applicationName: 'memberships-migrate',
    roles: roleNames,
  });
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'all' });
    const migrations = ran.map((migration) => migration.name);
    options.log?.info({ migrations }, migrations.length > 0 ? 'migrations applied' : 'schema up to date');
    // Also when no migration ran: the configured role names may be new to this database.
    await dataSource.transaction((manager) => ensureServiceRoles((sql, parameters) => manager.query(sql, parameters), roleNames));
    const passwords = {} as Record<ServiceName, PasswordAction>;
    for (const service of SERVICES) {
      const { role, secretId } = options.roles[service];
      const stored = options.rotate ? undefined : await currentSecret(options.secrets, secretId);
      const usable = stored?.username === role ? stored : undefined;
      const secret = usable ?? { username: role, password: randomBytes(32).toString('base64url') };
      if (!usable) await options.secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(secret) }));
      await dataSource.query(`ALTER ROLE ${quoteRole(role)} PASSWORD '${scramSha256Verifier(secret.password)}'`);
      passwords[service] = usable ? 'kept' : 'generated';
      options.log?.info({ service, role, secretId, password: passwords[service] }, 'role password set');
    }
    return { migrations, passwords };
  } finally {
    await dataSource.destroy();
  }
}

/** The secret's value; undefined when it has none yet (AWS answers ResourceNotFoundException) or not a usable one. */
async function currentSecret(client: SecretsManagerClient, secretId: string): Promise<DatabaseSecret | undefined> {
  try {
    const value = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return parseDatabaseSecret(value.SecretString, secretId);
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    if ((error as { code?: unknown }).code === 'database_credentials_invalid') return undefined;
    throw error;
  }
}

function withCredentials(databaseUrl: string, secret: DatabaseSecret): string {
  const url = new URL(databaseUrl);
  url.username = encodeURIComponent(secret.username);
  url.password = encodeURIComponent(secret.password);
  return url.toString();
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802 /
 * RFC 7677, PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`,
 * https://www.postgresql.org/docs/current/catalog-pg-authid.html). Given
 * instead of the password, ALTER ROLE stores it as is. Our passwords are
 * ASCII, so SASLprep leaves them unchanged.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
