import { AuthSession, type TokenEndpoints, type TokenGrant, type Tokens } from './auth-session.js';
import { ApiError, NotAuthenticatedError, SessionExpiredError } from './errors.js';

/**
 * The token endpoints are stubbed here to pin the session's arithmetic and
 * concurrency; the same behaviour runs against the real API in client.test.ts.
 */
class FakeTokenEndpoints implements TokenEndpoints {
  issued = 0;
  rotations: string[] = [];
  rejectRefresh = false;
  private serial = 0;

  constructor(private readonly expiresIn = 300) {}

  async issue(email: string, password: string): Promise<TokenGrant> {
    if (password !== 'right') throw problem(401, 'invalid_credentials');
    this.issued += 1;
    return this.next(email);
  }

  async rotate(refreshToken: string): Promise<TokenGrant> {
    this.rotations.push(refreshToken);
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (this.rejectRefresh) throw problem(401, 'invalid_refresh_token');
    return this.next('rotated');
  }

  private next(label: string): TokenGrant {
    this.serial += 1;
    return {
      access_token: `access-${label}-${this.serial}`,
      refresh_token: `refresh-${this.serial}`,
      expires_in: this.expiresIn,
      refresh_expires_in: 2_592_000,
    };
  }
}

function problem(status: number, code: string): ApiError {
  return new ApiError({ type: 'about:blank', title: code, status, code });
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

describe('AuthSession', () => {
  it('signs in with the password on first use and keeps the token until it is due', async () => {
    const endpoints = new FakeTokenEndpoints();
    const time = clock();
    const session = new AuthSession(endpoints, { credentials: { email: 'ann@example.com', password: 'right' }, now: time.now });

    const first = await session.accessToken();
    time.advance(269_000);
    expect(await session.accessToken()).toBe(first);
    expect(endpoints.issued).toBe(1);
    expect(endpoints.rotations).toEqual([]);

    time.advance(2_000); // now 29 s before expiry: due
    const second = await session.accessToken();
    expect(second).not.toBe(first);
    expect(endpoints.rotations).toEqual(['refresh-1']);
  });

  it('refreshes exactly once when many calls find the token due at the same time', async () => {
    const endpoints = new FakeTokenEndpoints();
    const time = clock();
    const session = new AuthSession(endpoints, {
      credentials: { accessToken: 'stale', refreshToken: 'refresh-0', accessTokenExpiresAt: time.now() - 1 },
      now: time.now,
    });

    const tokens = await Promise.all(Array.from({ length: 25 }, () => session.accessToken()));

    expect(endpoints.rotations).toEqual(['refresh-0']);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe('stale');
  });

  it('after a 401 refreshes once, and hands calls that carried the old token the new one', async () => {
    const endpoints = new FakeTokenEndpoints();
    const time = clock();
    const session = new AuthSession(endpoints, {
      credentials: { accessToken: 'revoked-early', refreshToken: 'refresh-0', accessTokenExpiresAt: time.now() + 300_000 },
      now: time.now,
    });
    const rejected = await session.accessToken();

    const retried = await Promise.all([session.recover(rejected), session.recover(rejected)]);
    const late = await session.recover(rejected);

    expect(endpoints.rotations).toEqual(['refresh-0']);
    expect(retried[0]).toBe(retried[1]);
    expect(late).toBe(retried[0]);
  });

  it('hands new tokens to onTokens before the call that needed them goes on', async () => {
    const endpoints = new FakeTokenEndpoints();
    const saved: Tokens[] = [];
    const session = new AuthSession(endpoints, {
      credentials: { refreshToken: 'refresh-0' },
      onTokens: async (tokens) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        saved.push(tokens);
      },
    });

    const token = await session.accessToken();

    expect(saved).toHaveLength(1);
    expect(saved[0]?.accessToken).toBe(token);
    expect(saved[0]?.refreshToken).toBe('refresh-1');
  });

  it('reports a dead refresh token as SessionExpiredError and forgets it', async () => {
    const endpoints = new FakeTokenEndpoints();
    endpoints.rejectRefresh = true;
    const session = new AuthSession(endpoints, { credentials: { refreshToken: 'revoked' } });

    await expect(session.accessToken()).rejects.toBeInstanceOf(SessionExpiredError);
    await expect(session.accessToken()).rejects.toBeInstanceOf(NotAuthenticatedError);
    expect(endpoints.rotations).toEqual(['revoked']);
  });

  it('starts a new session with the password when the refresh token is dead', async () => {
    const endpoints = new FakeTokenEndpoints();
    const session = new AuthSession(endpoints, { credentials: { email: 'ann@example.com', password: 'right' } });
    await session.accessToken();
    endpoints.rejectRefresh = true;

    const replacement = await session.recover(session.tokens?.accessToken ?? '');

    expect(replacement).toMatch(/^access-ann@example.com-/);
    expect(endpoints.issued).toBe(2);
  });

  it('does not spend a request on a refresh token it knows has expired', async () => {
    const endpoints = new FakeTokenEndpoints();
    const time = clock();
    const session = new AuthSession(endpoints, {
      credentials: { refreshToken: 'old', refreshTokenExpiresAt: time.now() - 1 },
      now: time.now,
    });
    await expect(session.accessToken()).rejects.toBeInstanceOf(SessionExpiredError);
    expect(endpoints.rotations).toEqual([]);
  });

  it('lets a coordinator substitute tokens another process stored', async () => {
    const endpoints = new FakeTokenEndpoints();
    const stored: Tokens = { accessToken: 'from-disk', refreshToken: 'disk-refresh', accessTokenExpiresAt: Date.now() + 300_000 };
    const seen: string[] = [];
    const session = new AuthSession(endpoints, {
      credentials: { refreshToken: 'stale-refresh' },
      coordinateRefresh: async (_refresh, stale) => {
        seen.push(stale);
        return stored;
      },
    });

    expect(await session.accessToken()).toBe('from-disk');
    expect(session.refreshToken).toBe('disk-refresh');
    expect(seen).toEqual(['stale-refresh']);
    expect(endpoints.rotations).toEqual([]);
  });

  it('asks for credentials when it has none', async () => {
    const session = new AuthSession(new FakeTokenEndpoints());
    await expect(session.accessToken()).rejects.toBeInstanceOf(NotAuthenticatedError);
    expect(await session.recover('anything')).toBeUndefined();
  });
});
