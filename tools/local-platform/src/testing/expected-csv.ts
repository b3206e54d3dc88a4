import type { SeededMembership } from '../seed';

/**
 * What a user should find in an export file, derived here from the rows in
 * PostgreSQL without production's SQL or its formula rule (core's
 * FORMULA_PREFIX): a spreadsheet-safe text for free text (a leading ' before
 * =, +, -, @, tab, CR), empty for NULL. Written out again on purpose, so a
 * change to production's rule shows up as a failing test, not a moved target.
 */
export const EXPECTED_HEADER = [
  'id',
  'uuid',
  'club_name',
  'club_city',
  'plan',
  'status',
  'started_on',
  'ends_on',
  'price',
  'currency',
  'auto_renew',
  'notes',
  'created_at',
  'updated_at',
];

const neutralise = (value: string | null): string => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/** The record the file must hold for a stored membership, field by field in EXPECTED_HEADER's order. */
export function expectedRow(m: SeededMembership): string[] {
  return [
    m.id,
    m.uuid,
    neutralise(m.clubName),
    neutralise(m.clubCity),
    neutralise(m.plan),
    m.status,
    m.startedOn,
    m.endsOn ?? '',
    m.price,
    m.currency,
    String(m.autoRenew),
    neutralise(m.notes),
    m.createdAt,
    m.updatedAt,
  ];
}

/** The same record keyed by header, to compare with csvObjects(). */
export function expectedRecord(m: SeededMembership): Record<string, string> {
  const row = expectedRow(m);
  return Object.fromEntries(EXPECTED_HEADER.map((name, index) => [name, row[index]!]));
}
