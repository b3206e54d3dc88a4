/**
 * An in-memory AWS Secrets Manager speaking the real wire protocol (AWS JSON
 * 1.1: `POST /`, `X-Amz-Target: secretsmanager.<Operation>`), so the AWS SDK
 * client talks to it unchanged. No emulator for it exists on npm; this covers
 * what the platform uses: CreateSecret, GetSecretValue, PutSecretValue and
 * DescribeSecret, with version stages as AWS keeps them.
 * Protocol: https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonParameters.html
 * Errors:   https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { handleJsonRequest, type JsonInput, type JsonService, ServiceError } from './json-protocol-server';

/** Local account id, as fauxqs uses in its queue ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';

interface SecretVersion {
  readonly id: string;
  readonly secretString: string | undefined;
  readonly secretBinary: string | undefined;
  readonly created: number;
  stages: string[];
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly description: string | undefined;
  readonly created: number;
  changed: number;
  readonly versions: SecretVersion[];
}

type Input = JsonInput;

const nowSeconds = () => Date.now() / 1000;

// ARN suffix: "a hyphen and six random characters", https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function arnSuffix(): string {
  return [...randomBytes(6)].map((byte) => SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length]).join('');
}

function text(input: Input, field: string, required = false): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    if (required) throw new ServiceError('InvalidParameterException', `${field} is required.`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ServiceError('InvalidParameterException', `${field} must be a string.`);
  return value;
}

/** The store and its operations, separate from HTTP so each rule reads as AWS documents it. */
export class SecretsStore {
  private readonly secrets = new Map<string, Secret>();

  constructor(private readonly region: string) {}

  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
  CreateSecret(input: Input) {
    const name = text(input, 'Name', true)!;
    if (this.secrets.has(name))
      throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const secret: Secret = {
      arn: `arn:aws:secretsmanager:${this.region}:${LOCAL_ACCOUNT_ID}:secret:${name}-${arnSuffix()}`,
      name,
      description: text(input, 'Description'),
      created: nowSeconds(),
      changed: nowSeconds(),
      versions: [],
    };
    this.secrets.set(name, secret);
    const version = this.addVersion(secret, input);
    return { ARN: secret.arn, Name: secret.name, ...(version ? { VersionId: version.id } : {}) };
  }

  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
  GetSecretValue(input: Input) {
    const secret = this.find(text(input, 'SecretId', true)!);
    const versionId = text(input, 'VersionId');
    const stage = text(input, 'VersionStage') ?? (versionId ? undefined : 'AWSCURRENT');
    const version = secret.versions.find(
      (candidate) => (!versionId || candidate.id === versionId) && (!stage || candidate.stages.includes(stage)),
    );
    // A secret created without a value has no AWSCURRENT version: AWS answers ResourceNotFoundException.
    if (!version)
      throw new ServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage ?? versionId}`,
      );
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.created,
    };
  }

  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
  PutSecretValue(input: Input) {
    const secret = this.find(text(input, 'SecretId', true)!);
    const version = this.addVersion(secret, input);
    if (!version) throw new ServiceError('InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
  DescribeSecret(input: Input) {
    const secret = this.find(text(input, 'SecretId', true)!);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      CreatedDate: secret.created,
      LastChangedDate: secret.changed,
      VersionIdsToStages: Object.fromEntries(
        secret.versions.filter((version) => version.stages.length > 0).map((version) => [version.id, [...version.stages]]),
      ),
    };
  }

  /** By name or by full ARN, as the `SecretId` parameter accepts. */
  private find(secretId: string): Secret {
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((candidate) => candidate.arn === secretId);
    if (!secret) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /**
   * The new version becomes AWSCURRENT and the one it replaces AWSPREVIOUS
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version).
   * ClientRequestToken makes a retry idempotent: the same token and value
   * return the existing version, the same token with another value is refused.
   */
  private addVersion(secret: Secret, input: Input): SecretVersion | undefined {
    const secretString = text(input, 'SecretString');
    const secretBinary = text(input, 'SecretBinary');
    if (secretString === undefined && secretBinary === undefined) return undefined;
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new ServiceError('InvalidParameterException', 'You can specify either SecretString or SecretBinary, not both.');
    }
    const token = text(input, 'ClientRequestToken') ?? randomUUID();
    const existing = secret.versions.find((version) => version.id === token);
    if (existing) {
      if (existing.secretString === secretString && existing.secretBinary === secretBinary) return existing;
      throw new ServiceError('ResourceExistsException', `A version with VersionId ${token} already exists with a different value.`);
    }
    for (const version of secret.versions) {
      version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      if (version.stages.includes('AWSCURRENT'))
        version.stages = [...version.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    const version: SecretVersion = { id: token, secretString, secretBinary, created: nowSeconds(), stages: ['AWSCURRENT'] };
    secret.versions.push(version);
    secret.changed = version.created;
    return version;
  }
}

const OPERATIONS = ['CreateSecret', 'GetSecretValue', 'PutSecretValue', 'DescribeSecret'] as const;
type Operation = (typeof OPERATIONS)[number];

/** An HTTP server over a fresh store; the caller listens (127.0.0.1) and closes it. */
export function createSecretsManagerServer(region: string): Server {
  const store = new SecretsStore(region);
  const service: JsonService<Operation> = {
    targetPrefix: 'secretsmanager',
    operations: OPERATIONS,
    internalErrorType: 'InternalServiceError',
    dispatch: (operation, input) => store[operation](input),
  };
  return createServer((request, response) => void handleJsonRequest(service, request, response));
}
