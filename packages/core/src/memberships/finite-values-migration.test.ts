import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../test-support/scratch-database';
import { FINITE_VALUE_CHECKS, MembershipRowsInvalidError } from './migrations/1764200000000-finite-values';

/**
 * The finite-values migration on real PostgreSQL: rows that would break a
 * check stop it with a report an operator can act on, and change nothing;
 * on clean rows the checks hold from then on; down removes them.
 */
const CHECK_NAMES = FINITE_VALUE_CHECKS.map((check) => check.name);
const MIGRATIONS_BEFORE = 2;

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Inserts a membership, `values` overriding a valid one; returns its id. */
async function insert(client: Client, values: Record<string, string | null> = {}): Promise<string> {
  const row: Record<string, string | null> = {
    user_id: randomUUID(),
    club_name: 'Club',
    plan: 'Monthly',
    status: 'active',
    started_on: '2024-01-01',
    ends_on: null,
    price: '10.00',
    currency: 'EUR',
    ...values,
  };
  const columns = Object.keys(row);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO memberships (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id::text AS id`,
    Object.values(row),
  );
  return rows[0]!.id;
}

async function checksPresent(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT conname AS name FROM pg_constraint WHERE conrelid = 'memberships'::regclass AND conname = ANY($1) ORDER BY conname`,
    [CHECK_NAMES],
  );
  return rows.map((row) => row.name);
}

describe('migration FiniteValues1764200000000', () => {
  let database: ScratchDatabase;
  let client: Client;

  beforeEach(async () => {
    database = await createScratchDatabase();
    expect(await database.migrate(MIGRATIONS_BEFORE)).toEqual(['CreateMemberships1764000000000', 'CreateServiceRoles1764100000000']);
    client = await connect(database.url);
  });
  afterEach(async () => {
    await client?.end();
    await database?.drop();
  });

  it('refuses rows with infinite values or a NaN price, reporting per check how many and which, and changes nothing', async () => {
    await insert(client);
    const createdInfinite = await insert(client, { created_at: 'infinity' });
    const updatedInfinite = await insert(client, { updated_at: '-infinity' });
    const startedInfinite = await insert(client, { started_on: '-infinity' });
    const endsInfinite = await insert(client, { ends_on: 'infinity' });
    const nanPrices: string[] = [];
    for (let i = 0; i < 7; i++) nanPrices.push(await insert(client, { price: 'NaN' }));

    const failure = await database.migrate().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MembershipRowsInvalidError);
    const { message, failures } = failure as MembershipRowsInvalidError;
    expect(failures).toEqual([
      { check: 'memberships_created_at_finite (isfinite(created_at))', rows: 1, firstIds: [createdInfinite] },
      { check: 'memberships_updated_at_finite (isfinite(updated_at))', rows: 1, firstIds: [updatedInfinite] },
      { check: 'memberships_started_on_finite (isfinite(started_on))', rows: 1, firstIds: [startedInfinite] },
      { check: 'memberships_ends_on_finite (isfinite(ends_on))', rows: 1, firstIds: [endsInfinite] },
      { check: "memberships_price_not_nan (price <> 'NaN')", rows: 7, firstIds: nanPrices.slice(0, 5) },
    ]);
    expect(message).toContain('nothing was changed');
    expect(message).toContain(`1 row fails memberships_created_at_finite (isfinite(created_at)): id ${createdInfinite}\n`);
    expect(message).toContain(`7 rows fail memberships_price_not_nan (price <> 'NaN'): id ${nanPrices.slice(0, 5).join(', ')}, ...`);

    // Nothing changed: no check, the migration not recorded, every row still there.
    expect(await checksPresent(client)).toEqual([]);
    const { rows: applied } = await client.query<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id');
    expect(applied.map((row) => row.name)).toEqual(['CreateMemberships1764000000000', 'CreateServiceRoles1764100000000']);
    const { rows: counted } = await client.query<{ count: string }>('SELECT count(*) AS count FROM memberships');
    expect(Number(counted[0]!.count)).toBe(12);

    // Once the rows are fixed, the same migration runs.
    await client.query(
      `UPDATE memberships SET created_at = now(), updated_at = now(), started_on = '2024-01-01', ends_on = NULL, price = 0`,
    );
    expect(await database.migrate()).toEqual(['FiniteValues1764200000000']);
  });

  it('on clean rows adds the checks, which then refuse infinity and NaN; down removes them', async () => {
    await insert(client);
    await insert(client, { ends_on: '2025-01-01' });
    expect(await database.migrate()).toEqual(['FiniteValues1764200000000']);
    expect(await checksPresent(client)).toEqual([...CHECK_NAMES].sort());

    const refused: [Record<string, string>, string][] = [
      [{ created_at: 'infinity' }, 'memberships_created_at_finite'],
      [{ updated_at: '-infinity' }, 'memberships_updated_at_finite'],
      [{ started_on: '-infinity' }, 'memberships_started_on_finite'],
      [{ ends_on: 'infinity' }, 'memberships_ends_on_finite'],
      [{ price: 'NaN' }, 'memberships_price_not_nan'],
    ];
    for (const [values, constraint] of refused) {
      await expect(insert(client, values)).rejects.toMatchObject({ code: '23514', constraint });
    }
    // Finite values, and an open end, still go in.
    await expect(insert(client, { created_at: '2026-03-29T01:30:00Z', ends_on: null, price: '0.00' })).resolves.toMatch(/^\d+$/);

    await database.revertLast();
    expect(await checksPresent(client)).toEqual([]);
    await expect(insert(client, { created_at: 'infinity', price: 'NaN' })).resolves.toMatch(/^\d+$/);
  });
});
