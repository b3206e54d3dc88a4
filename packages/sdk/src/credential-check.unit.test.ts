import { createClient, MembershipsError, MissingCredentialsError, NotAuthenticatedError, type Credentials } from './index.js';

/**
 * Incomplete credentials are refused on this machine, before any request: a
 * script with an unset environment variable gets MissingCredentialsError, not
 * a 400 from the API. fetch is injected to prove nothing is sent.
 */
function countingFetch() {
  const requests: string[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    requests.push(new URL((input as Request).url).pathname);
    return new Response('{}', { status: 500, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests };
}

/** What `process.env.X` gives a script when X is not set, past the type checker. */
const unset = undefined as unknown as string;

describe('missing credentials', () => {
  const incomplete: [string, Credentials, string[]][] = [
    ['no email and no password (both variables unset)', { email: unset, password: unset }, ['email', 'password']],
    ['an empty password', { email: 'ann@example.test', password: '' }, ['password']],
    ['a blank email', { email: '  ', password: 'secret' }, ['email']],
    ['an email without any password field', { email: 'ann@example.test' } as unknown as Credentials, ['password']],
    ['no token at all', {}, ['accessToken', 'refreshToken']],
    ['empty tokens', { accessToken: '', refreshToken: '' }, ['accessToken', 'refreshToken']],
    ['unset tokens', { accessToken: unset, refreshToken: unset }, ['accessToken', 'refreshToken']],
  ];

  it.each(incomplete)('createClient() with %s throws MissingCredentialsError and sends nothing', (_case, credentials, missing) => {
    const { fetch, requests } = countingFetch();

    let thrown: unknown;
    try {
      createClient({ baseUrl: 'http://api.test', credentials, fetch });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(MissingCredentialsError);
    expect(thrown).toBeInstanceOf(MembershipsError);
    expect(thrown).toMatchObject({ name: 'MissingCredentialsError', code: 'missing_credentials', missing });
    expect((thrown as Error).message).toMatch(/missing credentials/i);
    expect(requests).toEqual([]);
  });

  it('names the missing field in the message', () => {
    expect(() => createClient({ baseUrl: 'http://api.test', credentials: { email: 'ann@example.test', password: unset } })).toThrow(
      'Missing credentials: password is empty or not set.',
    );
  });

  it('auth.login() with an empty email or password rejects before any request', async () => {
    const { fetch, requests } = countingFetch();
    const client = createClient({ baseUrl: 'http://api.test', fetch });

    await expect(client.auth.login({ email: '', password: 'secret' })).rejects.toMatchObject({
      code: 'missing_credentials',
      missing: ['email'],
    });
    await expect(client.auth.login({ email: 'ann@example.test', password: unset })).rejects.toBeInstanceOf(MissingCredentialsError);
    expect(requests).toEqual([]);
  });

  it('without credentials, an API call says "not signed in" before any request', async () => {
    const { fetch, requests } = countingFetch();
    const client = createClient({ baseUrl: 'http://api.test', fetch });

    await expect(client.exports.list()).rejects.toBeInstanceOf(NotAuthenticatedError);
    await expect(client.schedules.list()).rejects.toMatchObject({ code: 'not_authenticated' });
    await expect(client.auth.me()).rejects.toMatchObject({ code: 'not_authenticated' });
    expect(requests).toEqual([]);
  });

  it('accepts a refresh token alone, stored tokens with an email beside them, and a password with spaces as typed', async () => {
    const { fetch } = countingFetch();
    expect(() => createClient({ baseUrl: 'http://api.test', credentials: { refreshToken: 'r' }, fetch })).not.toThrow();
    // What the CLI keeps in credentials.json: tokens, and the email they belong to.
    const stored = {
      email: 'ann@example.test',
      apiUrl: 'http://api.test',
      accessToken: 'a',
      accessTokenExpiresAt: Date.now() + 60_000,
      refreshToken: 'r',
    };
    expect(() => createClient({ baseUrl: 'http://api.test', credentials: stored, fetch })).not.toThrow();
    expect(() =>
      createClient({ baseUrl: 'http://api.test', credentials: { email: 'ann@example.test', password: ' ' }, fetch }),
    ).not.toThrow();
  });
});
