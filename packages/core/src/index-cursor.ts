import { DomainError } from './errors';

/**
 * Pagination cursors over a DynamoDB index sorted by `createdAt` within an
 * owner (a user's jobs by `userId`, an endpoint's deliveries by `endpointId`):
 * the query's LastEvaluatedKey as base64url JSON. Only that exact shape is
 * read back — the three key fields, each of the form the store writes
 * (DynamoDB refuses an empty key attribute), the owner the caller's — so a
 * cursor pages only through its own owner's items and anything else is an
 * InvalidCursorError, never a failed query.
 */

export class InvalidCursorError extends DomainError {
  constructor() {
    super('invalid_cursor', 'The pagination cursor is malformed or expired.');
  }
}

export function encodeIndexCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export interface IndexCursorShape {
  /** The owner's key attribute: `userId`, `endpointId`. */
  readonly ownerField: string;
  /** The caller's owner: a cursor of another is refused. */
  readonly owner: string;
  /** What the store's item ids look like. */
  readonly id: RegExp;
}

/** Date#toISOString, which is how the stores write createdAt. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The ExclusiveStartKey `cursor` stands for; throws InvalidCursorError for anything encodeIndexCursor did not write for this owner. */
export function decodeIndexCursor(cursor: string, shape: IndexCursorShape): Record<string, unknown> {
  const bytes = Buffer.from(cursor, 'base64url');
  let key: unknown;
  try {
    // Buffer.from skips characters outside the alphabet: only what we issued round-trips.
    if (bytes.toString('base64url') === cursor) key = JSON.parse(bytes.toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw new InvalidCursorError();
  const { id, createdAt, [shape.ownerField]: owner } = key as Record<string, unknown>;
  const valid =
    Object.keys(key).sort().join() === ['createdAt', 'id', shape.ownerField].sort().join() &&
    shape.owner !== '' &&
    owner === shape.owner &&
    typeof id === 'string' &&
    shape.id.test(id) &&
    typeof createdAt === 'string' &&
    ISO_TIMESTAMP.test(createdAt) &&
    Number.isFinite(Date.parse(createdAt));
  if (!valid) throw new InvalidCursorError();
  return { id, [shape.ownerField]: owner, createdAt };
}
