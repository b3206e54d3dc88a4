import { randomUUID } from 'node:crypto';
import type { CreatedUser } from '@memberships/local-platform';
import type { HttpResponse } from '../../testing/http-client';
import { startTestApp, type TestApp } from '../../testing/test-app';

/**
 * The failed-login limits with their defaults (5 per account, 20 per client
 * address, per 15 minutes), counted in DynamoDB so that every API instance
 * sees the same counts. The app trusts X-Forwarded-For as it does behind the
 * load balancer, so each test plays clients from addresses of its own.
 */
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  a = await startTestApp({ env: { TRUST_PROXY: 'true' } });
  // A second instance of the API on the same tables.
  b = await startTestApp({ platform: a.platform, keys: a.keys, env: { TRUST_PROXY: 'true' } });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

let addressCounter = 0;
/** A client address of its own (TEST-NET-3). */
const newAddress = () => {
  addressCounter += 1;
  return `203.0.113.${addressCounter}`;
};

const login = (app: TestApp, email: string, password: string, address: string) =>
  app.request({ method: 'POST', url: '/v1/auth/token', headers: { 'x-forwarded-for': address }, payload: { email, password } });

function expectTooManyAttempts(response: HttpResponse, maxSeconds = 15 * 60): number {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(response.json()).toMatchObject({ status: 429, code: 'too_many_attempts', retry_after: retryAfter });
  return retryAfter;
}

async function failLogins(email: string, count: number, address?: string): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    // Alternate instances and addresses: the account count is shared by all.
    const response = await login(i % 2 === 0 ? a : b, email, 'wrong password guess', address ?? newAddress());
    expect(response.statusCode).toBe(401);
  }
}

describe('per account', () => {
  let user: CreatedUser;

  beforeEach(async () => {
    user = await a.createUser();
  });

  it('after 5 failed logins, answers 429 too_many_attempts with Retry-After, even to the right password, until the window passes', async () => {
    await failLogins(user.email, 5);

    const locked = await login(b, user.email, user.password, newAddress());
    expectTooManyAttempts(locked);

    try {
      a.clock.advance(15 * 60_000 + 1_000);
      expect((await login(a, user.email, user.password, newAddress())).statusCode).toBe(200);
    } finally {
      a.clock.reset();
    }
  });

  it('answers an unknown email exactly as an existing account, so the limiter tells nothing about accounts', async () => {
    const unknown = `nobody-${randomUUID()}@example.test`;
    await failLogins(user.email, 5);
    await failLogins(unknown, 5);

    const known = await login(a, user.email, 'another guess', newAddress());
    const missing = await login(a, unknown, 'another guess', newAddress());
    expectTooManyAttempts(known);
    expectTooManyAttempts(missing);
    const comparable = (response: HttpResponse) => {
      const { request_id: _id, detail: _detail, retry_after: _after, ...rest } = response.json();
      return rest;
    };
    expect(comparable(missing)).toEqual(comparable(known));
  });

  it('forgives earlier failures after a successful login', async () => {
    await failLogins(user.email, 4);
    expect((await login(a, user.email, user.password, newAddress())).statusCode).toBe(200);
    await failLogins(user.email, 4);
    expect((await login(b, user.email, user.password, newAddress())).statusCode).toBe(200);
  });

  it('lets exactly 5 of a burst of 10 simultaneous guesses be checked; the rest get 429', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login(i % 2 === 0 ? a : b, user.email, `guess ${i}`, newAddress())),
    );
    const statuses = answers.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
  });
});

describe('per client address', () => {
  it('after 20 failed logins from one address, refuses that address for every account; other addresses go on', async () => {
    const address = newAddress();
    for (let i = 0; i < 20; i += 1) {
      // A different email each time: no account limit is reached.
      const response = await login(i % 2 === 0 ? a : b, `spray-${i}-${randomUUID()}@example.test`, 'Winter2025!', address);
      expect(response.statusCode).toBe(401);
    }
    const user = await a.createUser();

    expectTooManyAttempts(await login(a, user.email, user.password, address));
    expect((await login(b, user.email, user.password, newAddress())).statusCode).toBe(200);
  });

  it('does not count successful logins against the address', async () => {
    const address = newAddress();
    const user = await a.createUser();
    // One more than the address limit.
    for (let i = 0; i < 21; i += 1) {
      expect((await login(i % 2 === 0 ? a : b, user.email, user.password, address)).statusCode).toBe(200);
    }
  });
});

describe('login request rate (LOGIN_RATE_LIMIT, per address, per instance)', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({ platform: a.platform, keys: a.keys, env: { TRUST_PROXY: 'true', LOGIN_RATE_LIMIT: '3' } });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 rate_limited past the limit, right password or not; other addresses go on', async () => {
    const user = await a.createUser();
    const address = newAddress();
    for (let i = 0; i < 3; i += 1) expect((await login(limited, user.email, user.password, address)).statusCode).toBe(200);

    const refused = await login(limited, user.email, user.password, address);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect((await login(limited, user.email, user.password, newAddress())).statusCode).toBe(200);
  });
});
