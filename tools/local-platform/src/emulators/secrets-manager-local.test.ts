import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { LOCAL_CREDENTIALS } from '../aws-clients';
import type { RunningEmulator } from './emulator';
import { startSecretsManagerLocal } from './secrets-manager-local';

describe('Secrets Manager stand-in, through the AWS SDK client', () => {
  let emulator: RunningEmulator;
  let client: SecretsManagerClient;
  beforeAll(async () => {
    emulator = await startSecretsManagerLocal({ region: 'eu-west-1' });
    client = new SecretsManagerClient({ region: 'eu-west-1', endpoint: emulator.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });

  it('creates a secret with an ARN in the region and the local account, with a six-character suffix', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'app/created', SecretString: 'one' }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:000000000000:secret:app\/created-[A-Za-z0-9]{6}$/);
    expect(created.Name).toBe('app/created');
    expect(created.VersionId).toEqual(expect.any(String));
    await expect(client.send(new CreateSecretCommand({ Name: 'app/created' }))).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it('reads the current value by name and by ARN', async () => {
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'app/read', SecretString: '{"username":"u","password":"p"}' }));
    for (const SecretId of ['app/read', ARN!]) {
      const value = await client.send(new GetSecretValueCommand({ SecretId }));
      expect(value).toMatchObject({
        ARN,
        Name: 'app/read',
        SecretString: '{"username":"u","password":"p"}',
        VersionStages: ['AWSCURRENT'],
      });
      expect(value.CreatedDate).toBeInstanceOf(Date);
    }
  });

  it('answers ResourceNotFoundException for an unknown secret and for a secret that has no value yet, as AWS does', async () => {
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'app/missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'app/empty' }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new PutSecretValueCommand({ SecretId: 'app/missing', SecretString: 'x' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('makes a put value AWSCURRENT and the one it replaces AWSPREVIOUS', async () => {
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'app/rotated' }));
    const first = await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'first' }));
    const second = await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'second' }));
    expect(second.VersionStages).toEqual(['AWSCURRENT']);
    expect((await client.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('second');
    const previous = await client.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: 'first', VersionId: first.VersionId });
    const third = await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'third' }));
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'app/rotated' }));
    // The first version has no stage left, so it is no longer listed.
    expect(described.VersionIdsToStages).toEqual({ [second.VersionId!]: ['AWSPREVIOUS'], [third.VersionId!]: ['AWSCURRENT'] });
  });

  it('treats a retried put with the same ClientRequestToken as the same version, and refuses the token with another value', async () => {
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'app/idempotent' }));
    const token = 'a1b2c3d4-0000-4000-8000-000000000001';
    const first = await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'same', ClientRequestToken: token }));
    const retry = await client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'same', ClientRequestToken: token }));
    expect(retry.VersionId).toBe(first.VersionId);
    await expect(
      client.send(new PutSecretValueCommand({ SecretId: ARN, SecretString: 'other', ClientRequestToken: token })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });
});
