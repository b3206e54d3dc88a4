import { ApiError, NetworkError, parseRetryAfter } from './errors.js';

describe('ApiError.fromResponse', () => {
  it('carries the problem document of the API', () => {
    const problem = {
      type: 'https://errors.memberships.example/export-not-ready',
      title: 'Export not ready',
      status: 409,
      detail: 'Export 123 is still running.',
      code: 'export_not_ready',
    };
    const error = ApiError.fromResponse(new Response(null, { status: 409 }), problem);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'export_not_ready', title: 'Export not ready', detail: problem.detail });
    expect(error.message).toBe('Export 123 is still running.');
    expect(error.problem).toEqual(problem);
  });

  it('still gives a status-based code when a proxy answers with HTML', () => {
    const error = ApiError.fromResponse(
      new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'retry-after': '7' } }),
      '<html>Bad gateway</html>',
    );
    expect(error).toMatchObject({ status: 502, code: 'http_502', title: 'Bad Gateway', retryAfterSeconds: 7 });
  });
});

describe('NetworkError', () => {
  it('names the API origin and the socket error, and says what to check', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const error = new NetworkError('http://127.0.0.1:4000/v1/exports?limit=5', cause);
    expect(error.code).toBe('network_error');
    expect(error.message).toContain('http://127.0.0.1:4000');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toMatch(/check the api url/i);
    expect(error.cause).toBe(cause);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTenSeconds)).toBeGreaterThanOrEqual(9);
  });
});
