import { InvalidCursorProblem } from '../../errors';
import { JOB_ID_PATTERN } from './schemas';

/**
 * Checks the `cursor` of `GET /v1/exports` before it reaches the job store.
 *
 * The cursor is the job store's DynamoDB position in the user's listing
 * (core's JobStore.listForUser: base64url of the LastEvaluatedKey of the
 * byUser index, `{"id", "userId", "createdAt"}`), handed back as
 * ExclusiveStartKey. Core checks that it belongs to the caller and that the
 * fields are strings, but an empty string is a string: DynamoDB refuses an
 * empty key attribute and the request became a 500. Here the whole shape is
 * checked — exactly those three fields, each a non-empty string of the form
 * the store writes, `userId` the caller's — so anything else is a 400
 * invalid_cursor and a cursor can only ever move within the caller's own
 * listing. (The same check belongs in core's decodeCursor; until it is there,
 * this keeps the API's answer right.)
 */

const FIELDS = ['createdAt', 'id', 'userId'];
const JOB_ID = new RegExp(JOB_ID_PATTERN);
/** Date#toISOString, which is how the store writes createdAt. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function checkListCursor(cursor: string, userId: string): void {
  if (!isOwnPosition(decode(cursor), userId)) throw new InvalidCursorProblem();
}

function decode(cursor: string): unknown {
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer.from skips characters outside the alphabet: only what we issued round-trips.
  if (bytes.toString('base64url') !== cursor) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isOwnPosition(value: unknown, userId: string): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const key = value as Record<string, unknown>;
  if (Object.keys(key).sort().join() !== FIELDS.join()) return false;
  const { id, createdAt } = key;
  return (
    key.userId === userId &&
    userId !== '' &&
    typeof id === 'string' &&
    JOB_ID.test(id) &&
    typeof createdAt === 'string' &&
    ISO_TIMESTAMP.test(createdAt) &&
    Number.isFinite(Date.parse(createdAt))
  );
}
