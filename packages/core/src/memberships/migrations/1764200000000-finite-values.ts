import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DomainError } from '../../errors';

/**
 * Finite instants and days and a real price: `infinity` timestamps exported
 * as an empty field, and `NaN` passed `price >= 0` (PostgreSQL sorts NaN
 * above every number). Infinite prices need no check: numeric(10, 2)
 * cannot hold them.
 */
export const FINITE_VALUE_CHECKS = [
  { name: 'memberships_created_at_finite', check: 'isfinite(created_at)' },
  { name: 'memberships_updated_at_finite', check: 'isfinite(updated_at)' },
  { name: 'memberships_started_on_finite', check: 'isfinite(started_on)' },
  // NULL (open-ended) passes, as in every CHECK.
  { name: 'memberships_ends_on_finite', check: 'isfinite(ends_on)' },
  { name: 'memberships_price_not_nan', check: "price <> 'NaN'" },
] as const;

/** Ids of failing rows the report names per check; the count says how many more there are. */
const REPORTED_IDS = 5;

/** Existing rows break a check: nothing was changed; the message says which rows, so an operator can fix them. */
export class MembershipRowsInvalidError extends DomainError {
  constructor(
    message: string,
    readonly failures: readonly { readonly check: string; readonly rows: number; readonly firstIds: readonly string[] }[],
  ) {
    super('membership_rows_invalid', message);
  }
}

export class FiniteValues1764200000000 implements MigrationInterface {
  name = 'FiniteValues1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // No writes between the check of the rows and the constraints (both in the migration's transaction).
    await queryRunner.query('LOCK TABLE memberships IN SHARE MODE');
    // One scan for every check: how many rows fail it (the check is false, not NULL) and the first ids.
    const [counts] = (await queryRunner.query(
      `SELECT ${FINITE_VALUE_CHECKS.map(
        ({ check }, i) =>
          `count(*) FILTER (WHERE (${check}) IS FALSE) AS rows_${i}, ` +
          `(array_agg(id::text ORDER BY id) FILTER (WHERE (${check}) IS FALSE))[1:${REPORTED_IDS}] AS ids_${i}`,
      ).join(', ')} FROM memberships`,
    )) as Record<string, string | string[] | null>[];
    const failures = FINITE_VALUE_CHECKS.map(({ name, check }, i) => ({
      check: `${name} (${check})`,
      rows: Number(counts?.[`rows_${i}`] ?? 0),
      firstIds: (counts?.[`ids_${i}`] as string[] | null) ?? [],
    })).filter((failure) => failure.rows > 0);
    if (failures.length > 0) {
      const lines = failures.map(
        ({ check, rows, firstIds }) =>
          `${rows} ${rows === 1 ? 'row fails' : 'rows fail'} ${check}: id ${firstIds.join(', ')}${rows > firstIds.length ? ', ...' : ''}`,
      );
      throw new MembershipRowsInvalidError(
        `Cannot add the memberships checks for finite values; nothing was changed. Fix or delete these rows, then migrate again:\n${lines.join('\n')}`,
        failures,
      );
    }
    // One statement, so PostgreSQL validates every check in one scan.
    await queryRunner.query(
      `ALTER TABLE memberships ${FINITE_VALUE_CHECKS.map(({ name, check }) => `ADD CONSTRAINT ${name} CHECK (${check})`).join(', ')}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE memberships ${FINITE_VALUE_CHECKS.map(({ name }) => `DROP CONSTRAINT ${name}`).join(', ')}`);
  }
}
