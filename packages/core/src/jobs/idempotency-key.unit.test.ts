import { IDEMPOTENCY_KEY_PATTERN, isIdempotencyKey } from './idempotency-key';

describe('idempotency keys', () => {
  it.each([
    ['a', true],
    ['retry-2025-11-25T09:15:00.000Z', true],
    ['A.b_c:d-e', true],
    ['k'.repeat(200), true],
    ['', false],
    ['k'.repeat(201), false],
    ['with space', false],
    ['slash/key', false],
    ['ümlaut', false],
    ['line\nbreak', false],
  ])('%j is a key: %s', (key, valid) => {
    expect(isIdempotencyKey(key)).toBe(valid);
    expect(new RegExp(IDEMPOTENCY_KEY_PATTERN).test(key)).toBe(valid);
  });

  it('is a string', () => {
    expect(isIdempotencyKey(42)).toBe(false);
    expect(isIdempotencyKey(undefined)).toBe(false);
  });
});
