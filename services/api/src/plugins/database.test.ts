import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULT_AWS_TIMEOUTS, type AwsClientSettings } from '@memberships/core/config';
import {
  createTestDatabase,
  localClientConfig,
  localCredentials,
  migrateLocalDatabase,
  queryRows,
  testAwsSettings,
  withUser,
  type TestDatabase,
} from '@memberships/local-platform';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from '../config';
import database from './database';

/**
 * The readiness probe's connection as the API's own role, its password from
 * its secret in the Secrets Manager stand-in (signed with the API's local
 * keys, so the IAM gate holds it to the API task role): lazy, so the API
 * starts while the secret is still empty, and re-read after a rotation.
 */
const aws: AwsClientSettings = { ...testAwsSettings(), credentials: localCredentials('api') };

async function appWith(databaseUrl: string, databaseSecretArn: string): Promise<FastifyInstance> {
  const app = Fastify();
  const config = { databaseUrl, databaseSecretArn, aws, awsTimeouts: DEFAULT_AWS_TIMEOUTS } as unknown as ApiConfig;
  await app.register(fp(async (instance) => void instance.decorate('config', config), { name: 'app-context' }));
  await app.register(database);
  await app.ready();
  return app;
}

const asAdmin = queryRows;

describe('database plugin with DATABASE_SECRET_ARN', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('pings as the API role and keeps working after the role password is rotated', async () => {
    const app = await appWith(db.roles.api.url, db.roles.api.secretArn);
    try {
      await expect(app.database.ping()).resolves.toBeUndefined();
      const secretPrefix = /:secret:(test-[0-9a-f]{8})-/.exec(db.roles.api.secretArn)![1]!;
      await migrateLocalDatabase(db.url, {
        aws: testAwsSettings(),
        roleNames: { api: db.roles.api.role, worker: db.roles.worker.role },
        secretPrefix,
        rotate: true,
      });
      // The open connection stays logged in; end it, so the next ping needs a new login with the new password.
      await asAdmin(db.url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [db.roles.api.role]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(app.database.ping()).resolves.toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('starts while its secret has no value yet, fails only the ping, and connects once migrate has filled it', async () => {
    // A fresh role and an empty secret, as right after `terraform apply` and before migrate.
    const secretPrefix = `test-${randomBytes(4).toString('hex')}`;
    const later = { api: `${db.name}_api2`, worker: `${db.name}_worker2` };
    const operator = new SecretsManagerClient(localClientConfig(testAwsSettings(), 'secretsManager'));
    let app: FastifyInstance | undefined;
    try {
      const { ARN } = await operator.send(new CreateSecretCommand({ Name: `${secretPrefix}-database-api` }));
      app = await appWith(withUser(db.url, later.api), ARN!);
      await expect(app.database.ping()).rejects.toThrow();
      await migrateLocalDatabase(db.url, { aws: testAwsSettings(), roleNames: later, secretPrefix });
      await expect(app.database.ping()).resolves.toBeUndefined();
    } finally {
      await app?.close();
      operator.destroy();
      // DROP OWNED takes back what they were granted here, so the server-wide roles can go.
      for (const role of Object.values(later)) await asAdmin(db.url, `DROP OWNED BY ${role}`).catch(() => undefined);
      for (const role of Object.values(later)) await asAdmin(db.url, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  });
});
