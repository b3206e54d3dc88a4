import {
  ApiError,
  ExportCanceledError,
  ExportExpiredError,
  ExportFailedError,
  NetworkError,
  SessionExpiredError,
  WaitTimeoutError,
  type ExportJob,
} from '@memberships/sdk';
import { EXIT, InterruptedError, NotLoggedInError, ReportedExit, UsageError } from './errors.js';
import { describeError } from './error-report.js';

const context = { apiUrl: 'https://api.example' };
const failedJob = {
  id: 'job-1',
  state: 'failed',
  trigger: 'api',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
  attempts: 3,
  progress: { rows_exported: 0, rows_total: null },
  error: { code: 'database_unavailable', message: 'The database did not answer' },
  links: { self: '/v1/exports/job-1' },
} as ExportJob;

describe('describeError', () => {
  it('gives usage errors exit code 2 and Ctrl+C exit code 130', () => {
    expect(describeError(new UsageError('bad'), context).exitCode).toBe(EXIT.usage);
    expect(describeError(new InterruptedError(), context).exitCode).toBe(EXIT.interrupted);
    expect(describeError(new DOMException('aborted', 'AbortError'), context).exitCode).toBe(EXIT.interrupted);
    expect(describeError(Object.assign(new Error('User force closed the prompt'), { name: 'ExitPromptError' }), context).exitCode).toBe(
      130,
    );
  });

  it('lists every bad field of a refused request on a line of its own', () => {
    const errors = [
      { in: 'body', field: 'columns', message: 'unknown column "name"' },
      { in: 'body', field: 'filters.started_on.from', message: 'must be a day YYYY-MM-DD' },
      { in: 'body', field: 'time_zone', message: 'is not an IANA time zone' },
    ];
    const problem = {
      type: 'about:blank',
      title: 'Validation failed',
      status: 400,
      code: 'validation_failed',
      detail: 'first only',
      errors,
    };
    expect(describeError(new ApiError(problem), context)).toEqual({
      exitCode: EXIT.failure,
      message: [
        'The API refused 3 values:',
        '  columns: unknown column "name"',
        '  filters.started_on.from: must be a day YYYY-MM-DD',
        '  time_zone: is not an IANA time zone',
      ].join('\n'),
      suggestion: "Check the values against the command's --help.",
    });
    // Without a list, the API's own message.
    expect(describeError(new ApiError({ ...problem, errors: undefined }), context).message).toBe('first only');
    const reused = { type: 'about:blank', title: 'Idempotency-Key reused', status: 422, code: 'idempotency_key_reused', detail: 'reused' };
    expect(describeError(new ApiError(reused), context).suggestion).toMatch(/new --idempotency-key/);
  });

  it('marks an exit the command has already explained, so nothing more is printed', () => {
    expect(describeError(new ReportedExit(EXIT.interrupted, 'export canceled at Ctrl+C'), context)).toMatchObject({
      exitCode: 130,
      reported: true,
    });
    expect(describeError(new InterruptedError(), context).reported).toBeUndefined();
  });

  it('tells a logged-out user the exact command that logs in to the API in use', () => {
    expect(describeError(new NotLoggedInError('https://api.example'), context)).toEqual({
      exitCode: 1,
      message: 'You are not logged in to https://api.example.',
      suggestion: 'Run: memberships login --api-url https://api.example',
    });
    expect(describeError(new NotLoggedInError('http://127.0.0.1:3000'), context).suggestion).toBe('Run: memberships login');
    expect(describeError(new SessionExpiredError(undefined), context).suggestion).toBe(
      'Run: memberships login --api-url https://api.example',
    );
    expect(describeError(new SessionExpiredError(undefined), { apiUrl: 'http://127.0.0.1:3000/' }).suggestion).toBe(
      'Run: memberships login',
    );
  });

  it('for a session on another API, names the login there and how to use the session instead', () => {
    const report = describeError(
      new NotLoggedInError('https://staging.example', { loggedInTo: 'https://api.example', source: 'env' }),
      context,
    );
    expect(report.message).toBe('You are logged in to https://api.example, not to https://staging.example.');
    expect(report.suggestion).toBe(
      'Run: memberships login --api-url https://staging.example (or unset MEMBERSHIPS_API_URL to use your session at https://api.example)',
    );
  });

  it('points at the API URL settings when the API cannot be reached', () => {
    const report = describeError(new NetworkError('http://127.0.0.1:1/v1/exports', new Error('ECONNREFUSED')), context);
    expect(report.exitCode).toBe(1);
    expect(report.suggestion).toContain('--api-url');
  });

  it('uses the API problem detail and adds a hint for known codes', () => {
    const wrong = new ApiError({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      code: 'invalid_credentials',
      detail: 'Wrong email or password.',
    });
    expect(describeError(wrong, context)).toEqual({
      exitCode: 1,
      message: 'Wrong email or password.',
      suggestion: 'Check your email and password.',
    });
    const limited = new ApiError(
      { type: 'about:blank', title: 'Too many', status: 429, code: 'too_many_attempts' },
      { retryAfterSeconds: 42 },
    );
    expect(describeError(limited, context).suggestion).toContain('42 s');
    const broken = new ApiError({ type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'internal' });
    expect(describeError(broken, context).suggestion).toContain('https://api.example');
  });

  it('points schedule problems at the schedule commands', () => {
    const problem = (status: number, code: string) =>
      new ApiError({ type: 'about:blank', title: code, status, code, detail: `${code} detail` });
    expect(describeError(problem(404, 'schedule_not_found'), context)).toEqual({
      exitCode: 1,
      message: 'schedule_not_found detail',
      suggestion: 'List your schedules with: memberships schedule list',
    });
    expect(describeError(problem(409, 'schedule_limit_reached'), context).suggestion).toContain('memberships schedule delete ID');
    expect(describeError(problem(503, 'scheduler_unavailable'), context).suggestion).toBe('Nothing was changed; try again in a moment.');
  });

  it('explains a failed export and a wait that ran out', () => {
    expect(describeError(new ExportFailedError(failedJob), context).message).toBe(
      'Export job-1 failed: The database did not answer (database_unavailable)',
    );
    expect(describeError(new WaitTimeoutError('job-1', 5000, failedJob), context).suggestion).toBe(
      'Check on it with: memberships exports show job-1',
    );
  });

  it('explains a canceled or expired export that a wait saw, and points at a new export', () => {
    for (const state of ['canceled', 'expired'] as const) {
      const job = { ...failedJob, state, error: undefined } as ExportJob;
      const error = state === 'canceled' ? new ExportCanceledError(job) : new ExportExpiredError(job);
      expect(describeError(error, context)).toEqual({
        exitCode: 1,
        message: error.message,
        suggestion: 'Request a new export with: memberships export',
      });
    }
  });

  it('hints at what to do when a cancel finds the export ended, and when a download finds the file expired', () => {
    const problem = (status: number, code: string) => new ApiError({ type: 'about:blank', title: code, status, code, detail: code });
    expect(describeError(problem(409, 'export_already_finished'), context).suggestion).toBe(
      'It has already ended; see it with: memberships exports show ID',
    );
    expect(describeError(problem(410, 'export_file_expired'), context).suggestion).toBe(
      'Its file was deleted after its retention period; request a new export with: memberships export',
    );
  });

  it('never shows a stack trace for the unexpected, but says how to get one', () => {
    const report = describeError(new TypeError('x is undefined'), context);
    expect(report).toEqual({
      exitCode: 1,
      message: 'Unexpected error: x is undefined',
      suggestion: expect.stringContaining('MEMBERSHIPS_DEBUG=1'),
    });
  });
});
