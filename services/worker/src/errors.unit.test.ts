import { LeaseLostError, LinkKeySecretError } from '@memberships/core/dynamodb';
import { classifyFailure, ExportIntegrityError, isLeaseLost, JobUserMismatchError, StageError, UserNotFoundError } from './errors';

/** Errors shaped the way node-postgres, Node's sockets and the AWS SDK v3 shape them. */
function pgError(code: string, message = 'database error'): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

function awsError(name: string, status: number, fault: 'client' | 'server', extra: Record<string, unknown> = {}): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  return Object.assign(error, { $fault: fault, $metadata: { httpStatusCode: status }, ...extra });
}

describe('classifyFailure', () => {
  it.each([
    ['connection refused', socketError('ECONNREFUSED')],
    ['connection reset', socketError('ECONNRESET')],
    ['connection terminated without a code', new Error('Connection terminated unexpectedly')],
    ['admin shutdown 57P01', pgError('57P01', 'terminating connection due to administrator command')],
    ['crash shutdown 57P02', pgError('57P02')],
    ['cannot connect now 57P03', pgError('57P03', 'the database system is starting up')],
    ['connection exception 08006', pgError('08006')],
    ['too many connections 53300', pgError('53300')],
    ['serialization failure 40001', pgError('40001')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('retries a database failure: %s', (_label, cause) => {
    expect(classifyFailure(new StageError('database', cause))).toMatchObject({
      kind: 'transient',
      code: 'database_unavailable',
    });
  });

  it.each([
    ['S3 throttling', 'storage', awsError('SlowDown', 503, 'server')],
    ['S3 internal error', 'storage', awsError('InternalError', 500, 'server')],
    ['SES throttling (429)', 'email', awsError('TooManyRequestsException', 429, 'client')],
    ['DynamoDB throughput', 'jobs', awsError('ProvisionedThroughputExceededException', 400, 'client')],
    ['SDK marked retryable', 'jobs', awsError('Weird', 400, 'client', { $retryable: { throttling: false } })],
    ['SDK time-out', 'email', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
  ])('retries an AWS failure: %s', (_label, stage, cause) => {
    expect(classifyFailure(new StageError(stage as 'storage', cause))).toMatchObject({
      kind: 'transient',
      code: `${stage}_unavailable`,
    });
  });

  it('finds the transient cause behind wrappers (TypeORM driverError, cause chains)', () => {
    const wrapped = Object.assign(new Error('query failed'), { driverError: socketError('ECONNRESET') });
    const chained = new Error('outer', { cause: new Error('middle', { cause: pgError('57P01') }) });
    expect(classifyFailure(new StageError('database', wrapped)).kind).toBe('transient');
    expect(classifyFailure(new StageError('database', chained)).kind).toBe('transient');
  });

  it('does not retry data errors or requests AWS rejects', () => {
    expect(classifyFailure(new StageError('database', pgError('22P02', 'invalid input syntax')))).toMatchObject({
      kind: 'permanent',
      code: 'invalid_data',
    });
    expect(classifyFailure(new StageError('email', awsError('MessageRejected', 400, 'client')))).toMatchObject({
      kind: 'permanent',
      code: 'email_rejected',
    });
    expect(classifyFailure(new StageError('storage', awsError('AccessDenied', 403, 'client')))).toMatchObject({
      kind: 'permanent',
      code: 'storage_rejected',
    });
  });

  it('names a link signing key that cannot be used: retried when the secret is empty or malformed, final when refused', () => {
    expect(classifyFailure(new StageError('links', new LinkKeySecretError('no AWSCURRENT version')))).toMatchObject({
      kind: 'unknown',
      code: 'links_unavailable',
    });
    expect(classifyFailure(new StageError('links', awsError('AccessDeniedException', 400, 'client')))).toMatchObject({
      kind: 'permanent',
      code: 'links_unavailable',
    });
    expect(
      classifyFailure(new StageError('links', awsError('ThrottlingException', 400, 'client', { $retryable: { throttling: true } }))),
    ).toMatchObject({
      code: 'links_unavailable',
    });
  });

  it('does not retry a missing user or a job of another user', () => {
    expect(classifyFailure(new UserNotFoundError('u'))).toMatchObject({ kind: 'permanent', code: 'user_not_found' });
    expect(classifyFailure(new JobUserMismatchError('j'))).toMatchObject({ kind: 'permanent', code: 'job_user_mismatch' });
  });

  it('retries what it does not recognise, as unknown', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toMatchObject({ kind: 'unknown', code: 'export_failed' });
    expect(classifyFailure(new ExportIntegrityError(10, 9))).toMatchObject({ kind: 'unknown', code: 'export_integrity' });
  });

  it('tells the user what failed without internals', () => {
    const failure = classifyFailure(new StageError('database', socketError('ECONNREFUSED')));
    expect(failure.message).toBe('The membership database was unavailable.');
    expect(failure.message).not.toMatch(/127\.0\.0\.1|ECONN/);
  });
});

describe('isLeaseLost', () => {
  it('recognises a lost lease, also when wrapped', () => {
    expect(isLeaseLost(new LeaseLostError('job-1'))).toBe(true);
    expect(isLeaseLost(new StageError('jobs', new LeaseLostError('job-1')))).toBe(true);
    expect(isLeaseLost(new Error('other'))).toBe(false);
  });
});
