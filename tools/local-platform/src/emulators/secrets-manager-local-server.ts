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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

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

/** A rejection AWS would send: its `__type` and message. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Input = Record<string, unknown>;

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

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}

async function handle(store: SecretsStore, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : undefined;
    if (request.method !== 'POST' || !operation)
      throw new ServiceError('UnknownOperationException', 'Expected POST with X-Amz-Target: secretsmanager.<Operation>.');
    if (!(OPERATIONS as readonly string[]).includes(operation))
      throw new ServiceError('UnknownOperationException', `${operation} is not supported by the local stand-in.`);
    const raw = await readBody(request);
    let input: unknown;
    try {
      input = raw === '' ? {} : JSON.parse(raw);
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
    send(response, 200, store[operation as Operation](input as Input));
  } catch (error) {
    const failure = error instanceof ServiceError ? error : new ServiceError('InternalServiceError', (error as Error).message, 500);
    send(response, failure.status, { __type: failure.type, message: failure.message }, failure.type);
  }
}

/** An HTTP server over a fresh store; the caller listens (127.0.0.1) and closes it. */
export function createSecretsManagerServer(region: string): Server {
  const store = new SecretsStore(region);
  return createServer((request, response) => void handle(store, request, response));
}
