import { randomBytes, randomUUID } from 'node:crypto';
import type { Scope, User } from '@memberships/core/contract';
import type { AwsClientSettings } from '@memberships/core/config';
import { UserStore } from '@memberships/core/dynamodb';
import type { MembershipStatus } from '@memberships/core/postgres';
import { Client } from 'pg';
import { dynamoDbClient } from './aws-clients';

export interface CreateUserOptions {
  readonly aws: AwsClientSettings;
  /** Physical name of the users table (`names.tables.users`). */
  readonly table: string;
  /** Default: a unique `user-<uuid>@example.test`. */
  readonly email?: string;
  /** Default: a random password (returned). */
  readonly password?: string;
  /** Default: core's DEFAULT_SCOPES. */
  readonly scopes?: readonly Scope[];
  readonly profile?: Record<string, unknown>;
}

/** The created user, with the plain password so a test can log in. */
export interface CreatedUser extends User {
  readonly password: string;
}

/** Creates a user through core's UserStore (unique email, scrypt hash), as the product would. */
export async function createUser(options: CreateUserOptions): Promise<CreatedUser> {
  const client = dynamoDbClient(options.aws);
  try {
    const password = options.password ?? randomBytes(12).toString('base64url');
    const user = await new UserStore({ client, table: options.table }).create({
      email: options.email ?? `user-${randomUUID()}@example.test`,
      password,
      ...(options.scopes ? { scopes: options.scopes } : {}),
      ...(options.profile ? { profile: options.profile } : {}),
    });
    return { ...user, password };
  } finally {
    client.destroy();
  }
}

/** A membership as a test writes or reads it (dates as `YYYY-MM-DD`, price as a decimal string). */
export interface MembershipValues {
  readonly clubName: string;
  readonly clubCity: string | null;
  readonly plan: string;
  readonly status: MembershipStatus;
  readonly startedOn: string;
  readonly endsOn: string | null;
  readonly price: string;
  readonly currency: string;
  readonly autoRenew: boolean;
  readonly notes: string | null;
}

/** A row as stored, read back with stable text forms. */
export interface SeededMembership extends MembershipValues {
  /** bigint, as text. */
  readonly id: string;
  readonly uuid: string;
  readonly userId: string;
  /** ISO 8601 UTC with milliseconds, as the export writes it. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Rows that break naive CSV writers and spreadsheets: separators, quotes and
 * line breaks inside values, non-ASCII text, values a spreadsheet would run
 * as a formula (leading =, +, -, @, tab, carriage return), and empty/NULL
 * values. Inserted by seedMemberships({ tricky: true }) after the generated rows.
 */
export const TRICKY_MEMBERSHIPS: readonly MembershipValues[] = Object.freeze([
  row({ clubName: 'Smith, Jones & Partners Squash', clubCity: 'Zürich', plan: 'Gold, annual', notes: 'Paid by card, invoice #12, "VIP"' }),
  row({ clubName: 'The "Best" Gym', clubCity: 'München', plan: 'Say "hi" plan', notes: '""' }),
  row({ clubName: 'Line\nBreak Rowing', clubCity: 'Köln', plan: 'Two\nlines', notes: 'first line\nsecond line\n' }),
  row({ clubName: 'Windows\r\nClub', clubCity: 'São Paulo', plan: 'CRLF\r\nplan', notes: 'ends with CRLF\r\n' }),
  row({ clubName: '東京フィットネス', clubCity: '東京', plan: '月額プラン', notes: 'Emoji 🏋️‍♀️💪🏽 and ümlaut ß' }),
  row({ clubName: '=HYPERLINK("http://attacker.example","click")', clubCity: '+Berlin', plan: '-Premium', notes: '@SUM(A1:A9)' }),
  row({ clubName: '\tTabbed Tennis', clubCity: '\rCarriage Return City', plan: '=1+2', notes: "+cmd|' /C calc'!A0" }),
  row({ clubName: 'Anne-Marie Yoga = calm', clubCity: 'Saint-Étienne', plan: 'Mid-week @ noon', notes: 'dash-in-the-middle is harmless' }),
  row({ clubName: 'No notes, no end', clubCity: null, plan: 'Open ended', notes: null, endsOn: null, status: 'active' }),
  row({ clubName: 'Empty notes', clubCity: '', plan: 'Basic', notes: '' }),
  row({ clubName: '  padded with spaces  ', clubCity: ' Oslo ', plan: ' Monthly ', notes: '   ' }),
  row({ clubName: '"', clubCity: ',', plan: '\n', notes: '",\r\n"' }),
  row({ clubName: 'Long notes club', clubCity: 'Reykjavík', plan: 'Annual', notes: 'All work and no play, "dull"; '.repeat(200) }),
]);

function row(values: Partial<MembershipValues> & Pick<MembershipValues, 'clubName' | 'clubCity' | 'plan' | 'notes'>): MembershipValues {
  return {
    status: 'cancelled',
    startedOn: '2021-02-28',
    endsOn: '2024-02-29',
    price: '1234.56',
    currency: 'EUR',
    autoRenew: false,
    ...values,
  };
}

export interface SeedOptions {
  /** Same seed, same generated values (only id and uuid differ). Default 1. */
  readonly seed?: number;
  /** Also insert TRICKY_MEMBERSHIPS after the generated rows. Default false. */
  readonly tricky?: boolean;
}

export interface SeedResult {
  /** Rows inserted, generated + tricky. */
  readonly inserted: number;
  /** The tricky rows as stored (empty unless `tricky`), in id order. */
  readonly tricky: readonly SeededMembership[];
}

// Realistic variety for generated rows. A club comes with its city and currency.
const CLUBS: readonly (readonly [name: string, city: string, currency: string])[] = [
  ['Riverside Tennis Club', 'Hamburg', 'EUR'],
  ['Downtown Fitness', 'Chicago', 'USD'],
  ['Alpine Climbing Centre', 'Innsbruck', 'EUR'],
  ['Harbour Rowing Club', 'Sydney', 'AUD'],
  ['Northside Swim Club', 'Toronto', 'CAD'],
  ['Green Valley Golf', 'Cape Town', 'ZAR'],
  ['City Chess Society', 'London', 'GBP'],
  ['Lakeside Yoga Studio', 'Zürich', 'CHF'],
  ['Sakura Dojo', 'Kyoto', 'JPY'],
  ['Copacabana Beach Volley', 'Rio de Janeiro', 'BRL'],
  ['Cercle Équestre du Parc', 'Lyon', 'EUR'],
  ['Nordic Ski Club', 'Oslo', 'NOK'],
  ['Brooklyn Boxing Gym', 'New York', 'USD'],
  ['Stockholm Padel Hall', 'Stockholm', 'SEK'],
  ['Old Town Cycling Club', 'Kraków', 'PLN'],
  ['Canal Runners', 'Amsterdam', 'EUR'],
  ['Bay Sailing Association', 'San Francisco', 'USD'],
  ['Highland Curling Club', 'Perth', 'GBP'],
  ['Seoul Taekwondo Academy', 'Seoul', 'KRW'],
  ['Vienna Fencing Club', 'Wien', 'EUR'],
];
const PLANS = ['Monthly', 'Annual', 'Student', 'Family', 'Off-peak', 'Premium', 'Corporate', 'Weekend only', 'Senior', 'Day pass bundle'];
const NOTES = [
  'Paid by direct debit',
  'Referred by a friend',
  'Includes locker rental',
  'Corporate discount 10%',
  'Paused for travel',
  'Prefers email contact',
  'Upgraded from Monthly',
  'Trial month waived',
];

/**
 * Inserts `count` memberships for `userId` in one INSERT ... SELECT over
 * generate_series, so a million rows take seconds. Values are realistic and
 * deterministic for a given seed (clubs with their city and currency, plans,
 * weighted statuses, consistent dates, prices, about a third with notes,
 * a few without a city). Returns the tricky rows as stored when asked for.
 */
export async function seedMemberships(databaseUrl: string, userId: string, count: number, options: SeedOptions = {}): Promise<SeedResult> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const seed = options.seed ?? 1;
  const client = new Client({ connectionString: databaseUrl, application_name: 'local-platform-seed' });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Seed data is recreated at will; not waiting for the WAL flush makes large seeds faster.
    await client.query('SET LOCAL synchronous_commit = off');
    if (count > 0)
      await client.query(GENERATE_SQL, [
        userId,
        seed,
        count,
        CLUBS.map((c) => c[0]),
        CLUBS.map((c) => c[1]),
        CLUBS.map((c) => c[2]),
        PLANS,
        NOTES,
        randomBytes(16).toString('hex'),
      ]);
    const tricky = options.tricky ? await insertMemberships(client, userId, TRICKY_MEMBERSHIPS) : [];
    await client.query('COMMIT');
    // Fresh statistics so the export query plans with the (user_id, id) index right away.
    if (count >= 10_000) await client.query('ANALYZE memberships');
    return { inserted: count + tricky.length, tricky };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

// h1..h5 are deterministic pseudo-random non-negative integers per row (g.i) and seed.
const GENERATE_SQL = `
  INSERT INTO memberships (uuid, user_id, club_name, club_city, plan, status, started_on, ends_on, price, currency, auto_renew, notes, created_at, updated_at)
  SELECT uuid, $1::uuid,
         club_names[club],
         CASE WHEN h4 % 100 < 3 THEN NULL ELSE club_cities[club] END,
         plan_names[1 + h2 % cardinality(plan_names)],
         status,
         started_on,
         CASE
           WHEN status = 'active' AND h4 % 2 = 0 THEN NULL
           WHEN status = 'paused' THEN NULL
           WHEN status = 'active' THEN started_on + (365 * (1 + h5 % 3))::int
           ELSE started_on + (30 + h5 % 1500)::int
         END,
         round((4.99 + (h3 % 25000) / 100.0)::numeric, 2),
         club_currencies[club],
         h5 % 4 <> 0,
         CASE WHEN h3 % 3 = 0 THEN note_texts[1 + h4 % cardinality(note_texts)] ELSE NULL END,
         created_at,
         created_at + make_interval(days => (h2 % 400)::int, secs => (h3 % 86400)::int)
  FROM generate_series(1, $3::int) AS g(i)
  CROSS JOIN LATERAL (
    SELECT hashint8extended(g.i, $2::bigint) & 2147483647 AS h1,
           hashint8extended(g.i, $2::bigint + 1) & 2147483647 AS h2,
           hashint8extended(g.i, $2::bigint + 2) & 2147483647 AS h3,
           hashint8extended(g.i, $2::bigint + 3) & 2147483647 AS h4,
           hashint8extended(g.i, $2::bigint + 4) & 2147483647 AS h5,
           md5($9::text || ':' || g.i) AS m
  ) AS h
  CROSS JOIN LATERAL (
    SELECT $4::text[] AS club_names, $5::text[] AS club_cities, $6::text[] AS club_currencies,
           $7::text[] AS plan_names, $8::text[] AS note_texts,
           1 + (h.h1 % cardinality($4::text[]))::int AS club,
           CASE WHEN h.h2 % 100 < 60 THEN 'active' WHEN h.h2 % 100 < 70 THEN 'paused' WHEN h.h2 % 100 < 85 THEN 'cancelled' ELSE 'expired' END AS status,
           date '2015-01-01' + (h.h3 % 3650)::int AS started_on,
           ((date '2015-01-01' + (h.h3 % 3650)::int - (h.h4 % 30)::int)::timestamp
             + make_interval(secs => (h.h5 % 86400000) / 1000.0)) AT TIME ZONE 'UTC' AS created_at,
           -- A version 4 UUID from md5 of a per-call random salt: ~20x cheaper than gen_random_uuid(),
           -- which is a noticeable share of a million-row seed.
           (substr(h.m, 1, 12) || '4' || substr(h.m, 14, 3) || '8' || substr(h.m, 18, 15))::uuid AS uuid
  ) AS v`;

const RETURNING = `id::text AS id, uuid::text AS uuid, user_id::text AS "userId", club_name AS "clubName", club_city AS "clubCity", plan, status,
  started_on::text AS "startedOn", ends_on::text AS "endsOn", price::text AS price, currency, auto_renew AS "autoRenew", notes,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updatedAt"`;

/** Inserts the given memberships for the user (one statement) and returns them as stored, in id order. */
export async function insertMemberships(client: Client, userId: string, rows: readonly MembershipValues[]): Promise<SeededMembership[]> {
  if (rows.length === 0) return [];
  const columns = ['club_name', 'club_city', 'plan', 'status', 'started_on', 'ends_on', 'price', 'currency', 'auto_renew', 'notes'];
  const params: unknown[] = [userId];
  const tuples = rows.map((membership) => {
    const values = [
      membership.clubName,
      membership.clubCity,
      membership.plan,
      membership.status,
      membership.startedOn,
      membership.endsOn,
      membership.price,
      membership.currency,
      membership.autoRenew,
      membership.notes,
    ];
    const placeholders = values.map((value) => {
      params.push(value);
      return `$${params.length}`;
    });
    return `($1, ${placeholders.join(', ')})`;
  });
  const { rows: stored } = await client.query<SeededMembership>(
    `INSERT INTO memberships (user_id, ${columns.join(', ')}) VALUES ${tuples.join(', ')} RETURNING ${RETURNING}`,
    params,
  );
  return stored.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
}

/** Reads a user's memberships back in id order, in the same text forms (for assertions). */
export async function readMemberships(
  databaseUrl: string,
  userId: string,
  { limit }: { limit?: number } = {},
): Promise<SeededMembership[]> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'local-platform-seed' });
  await client.connect();
  try {
    const { rows } = await client.query<SeededMembership>(
      `SELECT ${RETURNING} FROM memberships WHERE user_id = $1 ORDER BY memberships.id${limit === undefined ? '' : ' LIMIT $2'}`,
      limit === undefined ? [userId] : [userId, limit],
    );
    return rows;
  } finally {
    await client.end();
  }
}
