import { dayOfMonth, eventTypeList, idempotencyKey, integerBetween, InvalidValueError, timeOfDay, timeZone } from './option-values.js';
import { passwordFromStdin, readAll } from './stdin.js';
import { PassThrough } from 'node:stream';

describe('option parsers', () => {
  it('accepts whole numbers in range only', () => {
    const limit = integerBetween(1, 100);
    expect(limit('20')).toBe(20);
    for (const bad of ['0', '101', '2.5', 'ten', '', '-1']) expect(() => limit(bad)).toThrow(InvalidValueError);
  });

  it('checks idempotency keys like the API does', () => {
    expect(idempotencyKey('nightly-2025-11-25:a_b.c')).toBe('nightly-2025-11-25:a_b.c');
    expect(() => idempotencyKey('has space')).toThrow(InvalidValueError);
    expect(() => idempotencyKey('x'.repeat(201))).toThrow(InvalidValueError);
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

describe('schedule option parsers', () => {
  it('takes days 1 to 28 only, the days every month has', () => {
    expect(dayOfMonth('1')).toBe(1);
    expect(dayOfMonth('28')).toBe(28);
    for (const bad of ['0', '29', '31', '1.5', 'first', '']) expect(() => dayOfMonth(bad)).toThrow(/1 to 28/);
  });

  it('takes 24-hour times and writes them as HH:MM', () => {
    expect(timeOfDay('06:00')).toBe('06:00');
    expect(timeOfDay('6:05')).toBe('06:05');
    expect(timeOfDay('23:59')).toBe('23:59');
    expect(timeOfDay(' 00:00 ')).toBe('00:00');
    for (const bad of ['24:00', '12:60', '6', '6am', '06:00:00', '']) expect(() => timeOfDay(bad)).toThrow(InvalidValueError);
  });

  it('takes IANA zone names in any letter case, spelled as the zone database spells them', () => {
    expect(timeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(timeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(timeZone('UTC')).toBe('UTC');
    expect(timeZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    for (const bad of ['Mars/Olympus_Mons', '+01:00', 'CET+1', '', 'Europe/']) expect(() => timeZone(bad)).toThrow(/IANA time zone/);
  });
});

describe('webhook option parsers', () => {
  it('takes event types comma-separated or over repeated flags, each once', () => {
    expect(eventTypeList('export.succeeded,export.failed')).toEqual(['export.succeeded', 'export.failed']);
    expect(eventTypeList('export.expired', ['export.canceled'])).toEqual(['export.canceled', 'export.expired']);
    expect(() => eventTypeList('export.done')).toThrow(/Unknown event type "export.done"; choose from export.succeeded, export.failed/);
    expect(() => eventTypeList('export.failed,')).toThrow(/an empty item/);
    expect(() => eventTypeList('export.failed', ['export.failed'])).toThrow(/more than once/);
  });
});
