import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import { localClientConfig } from './aws-clients';
import { localCredentials, type LocalIdentity, type RunningIamGate } from './iam-gate';
import { createTestDatabase, type TestDatabase } from './postgres';
import { ensureLinkSigningSecret, rotateLinkSigningKey } from './provision';
import { provisionTestResources, startTestIamGate, type TestResources } from './testing';

/**
 * The link signing key as the services meet it: a secret the provisioning
 * creates under the name infra/terraform gives it, read with the real SDK
 * client through the IAM gate, which holds each identity to its synthesized
 * role: the API and the worker may read both staging labels of it, other
 * roles may not, and neither service may read the other's database login.
 */

const emulators = JSON.parse(process.env.LOCAL_EMULATOR_ENDPOINTS ?? '{}') as Record<string, string>;

let resources: TestResources;
const clients: SecretsManagerClient[] = [];

beforeAll(async () => {
  resources = await provisionTestResources();
}, 60_000);

afterAll(() => {
  for (const client of clients) client.destroy();
});

/** A Secrets Manager client signing as `identity`, against `endpoint` (default: the suite-wide IAM gate). */
function secretsAs(identity: LocalIdentity, endpoint?: string): SecretsManagerClient {
  const settings: AwsClientSettings = {
    ...resources.aws,
    endpoints: { ...resources.aws.endpoints, ...(endpoint ? { secretsManager: endpoint } : {}) },
    credentials: localCredentials(identity),
  };
  const client = new SecretsManagerClient({ ...clientOptions(settings, 'secretsManager'), maxAttempts: 1 });
  clients.push(client);
  return client;
}

/** The `key` of the secret's version at `stage`, or the error's name. */
async function keyAt(client: SecretsManagerClient, secretId: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string> {
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    return (JSON.parse(SecretString ?? '{}') as { key: string }).key;
  } catch (error) {
    return `error: ${(error as Error).name}`;
  }
}

describe('the link signing key', () => {
  it('is provisioned as `<prefix>-link-signing-key` with a fresh random key of at least 32 characters, kept on a second provisioning', async () => {
    expect(resources.linkSigningSecretArn).toMatch(
      new RegExp(`^arn:aws:secretsmanager:[a-z0-9-]+:\\d{12}:secret:${resources.prefix}-link-signing-key-[A-Za-z0-9]{6}$`),
    );
    const operator = new SecretsManagerClient(localClientConfig(resources.aws, 'secretsManager'));
    clients.push(operator);
    const key = await keyAt(operator, resources.linkSigningSecretArn, 'AWSCURRENT');
    expect(key).toMatch(/^[A-Za-z0-9]{64}$/);

    expect(await ensureLinkSigningSecret(resources.aws, resources.prefix)).toBe(resources.linkSigningSecretArn);
    expect(await keyAt(operator, resources.linkSigningSecretArn, 'AWSCURRENT')).toBe(key);

    const other = await provisionTestResources();
    expect(other.linkSigningSecretArn).not.toBe(resources.linkSigningSecretArn);
    expect(await keyAt(operator, other.linkSigningSecretArn, 'AWSCURRENT')).not.toBe(key);
  });

  it('lets the API and the worker read AWSCURRENT through the IAM gate, and AWSPREVIOUS once a rotation has made one', async () => {
    const operator = new SecretsManagerClient(localClientConfig(resources.aws, 'secretsManager'));
    clients.push(operator);
    const first = await keyAt(operator, resources.linkSigningSecretArn, 'AWSCURRENT');
    for (const identity of ['api', 'worker'] as const) {
      const client = secretsAs(identity);
      expect({ identity, current: await keyAt(client, resources.linkSigningSecretArn, 'AWSCURRENT') }).toEqual({
        identity,
        current: first,
      });
      // Before the first rotation there is no previous version: the services treat this as "no previous key".
      expect({ identity, previous: await keyAt(client, resources.linkSigningSecretArn, 'AWSPREVIOUS') }).toEqual({
        identity,
        previous: 'error: ResourceNotFoundException',
      });
    }

    const second = await rotateLinkSigningKey(resources.aws, resources.linkSigningSecretArn);
    expect(second).not.toBe(first);
    for (const identity of ['api', 'worker'] as const) {
      const client = secretsAs(identity);
      expect({
        identity,
        current: await keyAt(client, resources.linkSigningSecretArn, 'AWSCURRENT'),
        previous: await keyAt(client, resources.linkSigningSecretArn, 'AWSPREVIOUS'),
      }).toEqual({ identity, current: second, previous: first });
    }
  });

  describe('against a gate of its own (the denials are meant)', () => {
    let gate: RunningIamGate;
    let database: TestDatabase;

    beforeAll(async () => {
      gate = await startTestIamGate({ secretsmanager: emulators.secretsManager });
      database = await createTestDatabase();
    }, 60_000);

    afterAll(async () => {
      await gate?.stop();
      await database?.drop();
    });

    it("refuses the link key to roles without it, and each service the other's database login, naming action and secret", async () => {
      const link = resources.linkSigningSecretArn;
      const logins = { api: database.roles.api.secretArn, worker: database.roles.worker.secretArn };
      // What the roles do allow through this gate, so the refusals below are the policies' and not the set-up's.
      expect(await keyAt(secretsAs('api', gate.endpoint), link, 'AWSCURRENT')).toMatch(/^[A-Za-z0-9]{64}$/);
      await expect(secretsAs('worker', gate.endpoint).send(new GetSecretValueCommand({ SecretId: logins.worker }))).resolves.toMatchObject({
        ARN: logins.worker,
      });

      const refused: [LocalIdentity, string][] = [
        // The migrate task reads and writes database logins only.
        ['migrate', link],
        ['api', logins.worker],
        ['worker', logins.api],
      ];
      for (const [identity, secretId] of refused) {
        const error = await secretsAs(identity, gate.endpoint)
          .send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }))
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          );
        const name = secretId
          .split(':secret:')[1]!
          .replace(/^test-[0-9a-f]{8}-/, '')
          .replace(/-[A-Za-z0-9]{6}$/, '');
        expect({ identity, name, error: error?.name }).toEqual({ identity, name, error: 'AccessDeniedException' });
        expect(error?.message).toMatch(
          new RegExp(
            `not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:\\S+:secret:memberships-(staging|production)-${name}-`,
          ),
        );
      }
      expect(gate.denials().map((denial) => [denial.identity, denial.operation])).toEqual(
        refused.map(([identity]) => [identity, 'SecretsManager GetSecretValue']),
      );
    });
  });
});
