import { parse } from 'csv-parse/sync';
import type { SeededMembership } from '@memberships/local-platform';

/**
 * What a user should find in the file, derived here from the rows in
 * PostgreSQL without the export's own SQL: a spreadsheet-safe text for free
 * text (a leading ' before =, +, -, @, tab, CR), empty for NULL.
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

/** Parses the file strictly as RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(bytes: Buffer): string[][] {
  return parse(bytes.toString('utf8'), { relax_quotes: false, relax_column_count: false, bom: false }) as string[][];
}
