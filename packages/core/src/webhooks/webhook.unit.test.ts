import { expiryHourOf } from '../jobs/job';
import { encodeWebhookMessage, eventOccurredMessage, expirySweepTargetInput, parseWebhookMessage, type ExpirySweepV1 } from './webhook';

const sweep: ExpirySweepV1 = { type: 'expiry.sweep', version: 1, scheduledTime: '2026-12-08T05:00:00Z' };

describe('parseWebhookMessage: expiry.sweep', () => {
  it('accepts what encodeWebhookMessage produces, with no user', () => {
    expect(parseWebhookMessage(encodeWebhookMessage(sweep))).toEqual({ ok: true, message: sweep });
  });

  it('accepts the Scheduler target input once the Scheduler has put the scheduled time in', () => {
    const body = expirySweepTargetInput().replace('<aws.scheduler.scheduled-time>', '2026-12-08T06:00:00Z');
    expect(parseWebhookMessage(body)).toEqual({ ok: true, message: { ...sweep, scheduledTime: '2026-12-08T06:00:00Z' } });
  });

  it('refuses the input with the placeholder left in, or without a time', () => {
    expect(parseWebhookMessage(expirySweepTargetInput())).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(parseWebhookMessage(JSON.stringify({ type: 'expiry.sweep', version: 1 }))).toMatchObject({
      ok: false,
      code: 'invalid_field',
      reason: 'scheduledTime must be an ISO 8601 timestamp',
    });
  });

  it('refuses another version', () => {
    expect(parseWebhookMessage(JSON.stringify({ ...sweep, version: 2 }))).toMatchObject({ ok: false, code: 'unsupported_version' });
  });

  it('keeps only the fields of the message', () => {
    const parsed = parseWebhookMessage(JSON.stringify({ ...sweep, userId: 'x', extra: true }));
    expect(parsed).toEqual({ ok: true, message: sweep });
  });

  it('still requires a user on the other messages', () => {
    const event = eventOccurredMessage('job-1', '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20', 'export.expired', '2026-12-08T05:00:00.000Z');
    expect(parseWebhookMessage(encodeWebhookMessage(event))).toEqual({ ok: true, message: event });
    expect(parseWebhookMessage(JSON.stringify({ ...event, userId: undefined }))).toMatchObject({ ok: false, code: 'invalid_field' });
  });
});

describe('expiryHourOf', () => {
  it('is the UTC hour of the time, whatever the minutes', () => {
    expect(expiryHourOf(new Date('2026-12-08T05:00:00.000Z'))).toBe('2026-12-08T05');
    expect(expiryHourOf(new Date('2026-12-08T05:59:59.999Z'))).toBe('2026-12-08T05');
    expect(expiryHourOf(new Date('2026-12-08T06:00:00.000+01:00'))).toBe('2026-12-08T05');
  });

  it('sorts as time does (the sweep walks hours in order)', () => {
    const hours = ['2026-12-31T23:30:00Z', '2027-01-01T00:10:00Z', '2026-12-09T09:00:00Z'].map((t) => expiryHourOf(new Date(t)));
    expect([...hours].sort()).toEqual(['2026-12-09T09', '2026-12-31T23', '2027-01-01T00']);
  });
});
