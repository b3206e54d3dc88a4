import { randomUUID } from 'node:crypto';
import { EmailTakenError, UserStore, verifyPassword } from '@memberships/core/dynamodb';
import { MEMBERSHIP_STATUSES } from '@memberships/core/postgres';
import { dynamoDbClient } from './aws-clients';
import { createTestDatabase, type TestDatabase } from './postgres';
import { createUser, readMemberships, seedMemberships, TRICKY_MEMBERSHIPS, type SeededMembership } from './seed';
import { provisionTestResources, type TestResources } from './testing';

/** The values a seed determines (ids, uuids and the owner differ between users). */
function values({ id, uuid, userId, ...rest }: SeededMembership) {
  return rest;
}

describe('seedMemberships', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('stores the tricky rows exactly as given, after the generated ones', async () => {
    const userId = randomUUID();
    const result = await seedMemberships(database.url, userId, 50, { tricky: true });
    expect(result.inserted).toBe(50 + TRICKY_MEMBERSHIPS.length);

    const stored = await readMemberships(database.url, userId);
    expect(stored).toHaveLength(50 + TRICKY_MEMBERSHIPS.length);
    const trickyStored = stored.slice(50);
    expect(trickyStored).toEqual(result.tricky);
    expect(
      trickyStored.map(({ clubName, clubCity, plan, status, startedOn, endsOn, price, currency, autoRenew, notes }) => ({
        clubName,
        clubCity,
        plan,
        status,
        startedOn,
        endsOn,
        price,
        currency,
        autoRenew,
        notes,
      })),
    ).toEqual(TRICKY_MEMBERSHIPS);
  });

  it('covers the characters that break CSV writers and spreadsheets', () => {
    const text = TRICKY_MEMBERSHIPS.flatMap((row) => [row.clubName, row.clubCity ?? '', row.plan, row.notes ?? '']);
    for (const needle of [',', '"', '\n', '\r\n', 'ü', '東京', '💪']) expect(text.some((value) => value.includes(needle))).toBe(true);
    for (const prefix of ['=', '+', '-', '@', '\t', '\r']) expect(text.some((value) => value.startsWith(prefix))).toBe(true);
    expect(TRICKY_MEMBERSHIPS.some((row) => row.notes === null && row.endsOn === null)).toBe(true);
    expect(TRICKY_MEMBERSHIPS.some((row) => row.notes === '')).toBe(true);
  });

  it('generates the same values for the same seed and different ones for another seed', async () => {
    const [first, second, other] = [randomUUID(), randomUUID(), randomUUID()];
    await seedMemberships(database.url, first, 200, { seed: 7 });
    await seedMemberships(database.url, second, 200, { seed: 7 });
    await seedMemberships(database.url, other, 200, { seed: 8 });
    const [a, b, c] = await Promise.all([first, second, other].map((userId) => readMemberships(database.url, userId)));
    expect(a!.map(values)).toEqual(b!.map(values));
    expect(a!.map(values)).not.toEqual(c!.map(values));
    expect(new Set([...a!, ...b!].map((row) => row.uuid)).size).toBe(400);
  });

  it('generates realistic, varied rows', async () => {
    const userId = randomUUID();
    await seedMemberships(database.url, userId, 2000, { seed: 3 });
    const rows = await readMemberships(database.url, userId);
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((row) => row.status))).toEqual(new Set(MEMBERSHIP_STATUSES));
    expect(new Set(rows.map((row) => row.clubName)).size).toBeGreaterThanOrEqual(15);
    expect(new Set(rows.map((row) => row.currency)).size).toBeGreaterThanOrEqual(5);
    expect(rows.some((row) => row.notes === null) && rows.some((row) => row.notes !== null)).toBe(true);
    expect(rows.some((row) => row.clubCity === null)).toBe(true);
    expect(rows.some((row) => row.endsOn === null) && rows.some((row) => row.endsOn !== null)).toBe(true);
    for (const row of rows) {
      expect(Number(row.price)).toBeGreaterThan(0);
      if (row.endsOn !== null) expect(row.endsOn >= row.startedOn).toBe(true);
      expect(row.createdAt <= row.updatedAt).toBe(true);
      expect(row.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('rejects a negative count', async () => {
    await expect(seedMemberships(database.url, randomUUID(), -1)).rejects.toThrow(RangeError);
  });
});

describe('createUser', () => {
  let resources: TestResources;

  beforeAll(async () => {
    resources = await provisionTestResources();
  });

  it('creates a user who can be found by email and whose password verifies', async () => {
    const user = await createUser({
      aws: resources.aws,
      table: resources.names.tables.users,
      email: 'Someone@Example.test',
      password: 'correct horse',
    });
    const client = dynamoDbClient(resources.aws);
    try {
      const found = await new UserStore({ client, table: resources.names.tables.users }).findByEmail('someone@example.test');
      expect(found).toMatchObject({ id: user.id, email: 'someone@example.test' });
      await expect(verifyPassword('correct horse', found!.passwordHash)).resolves.toBe(true);
      await expect(verifyPassword('wrong horse', found!.passwordHash)).resolves.toBe(false);
    } finally {
      client.destroy();
    }
  });

  it('makes up a unique email and a password when not given', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => createUser({ aws: resources.aws, table: resources.names.tables.users })));
    expect(a!.email).not.toBe(b!.email);
    await expect(verifyPassword(a!.password, a!.passwordHash)).resolves.toBe(true);
  });

  it('refuses a second user with the same email', async () => {
    const options = { aws: resources.aws, table: resources.names.tables.users, email: `twice-${randomUUID()}@example.test` };
    await createUser(options);
    await expect(createUser(options)).rejects.toThrow(EmailTakenError);
  });
});
