import { InvalidArgumentError } from 'commander';
import { idempotencyKey, integerBetween } from './option-parsers.js';
import { passwordFromStdin, readAll } from './stdin.js';
import { PassThrough } from 'node:stream';

describe('option parsers', () => {
  it('accepts whole numbers in range only', () => {
    const limit = integerBetween(1, 100);
    expect(limit('20')).toBe(20);
    for (const bad of ['0', '101', '2.5', 'ten', '', '-1']) expect(() => limit(bad)).toThrow(InvalidArgumentError);
  });

  it('checks idempotency keys like the API does', () => {
    expect(idempotencyKey('nightly-2025-11-25:a_b.c')).toBe('nightly-2025-11-25:a_b.c');
    expect(() => idempotencyKey('has space')).toThrow(InvalidArgumentError);
    expect(() => idempotencyKey('x'.repeat(201))).toThrow(InvalidArgumentError);
  });
});

describe('password from stdin', () => {
  it('drops the one newline echo adds, nothing else', () => {
    expect(passwordFromStdin('secret\n')).toBe('secret');
    expect(passwordFromStdin('secret\r\n')).toBe('secret');
    expect(passwordFromStdin(' secret \n\n')).toBe(' secret \n');
  });

  it('stops reading on Ctrl+C', async () => {
    const stdin = new PassThrough();
    const controller = new AbortController();
    const reading = readAll(stdin, controller.signal);
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });
});
