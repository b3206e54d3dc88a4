import { SendRateLimiter, sendOfRequest } from './ses-send-rate';

describe('SES maximum send rate', () => {
  it('lets a burst of one second’s worth through, then one email per 1/rate seconds', () => {
    let now = 0;
    const rate = new SendRateLimiter(4, () => now);
    expect([1, 2, 3, 4, 5].map(() => rate.tryTake(1))).toEqual([true, true, true, true, false]);
    now = 200;
    expect(rate.tryTake(1)).toBe(false);
    now = 250;
    expect(rate.tryTake(1)).toBe(true);
    expect(rate.tryTake(1)).toBe(false);
    // A long pause refills to one second's worth, no more.
    now = 60_000;
    expect([1, 2, 3, 4, 5].map(() => rate.tryTake(1))).toEqual([true, true, true, true, false]);
  });

  it('takes nothing for a refused send', () => {
    let now = 0;
    const rate = new SendRateLimiter(2, () => now);
    expect(rate.tryTake(2)).toBe(true);
    expect(rate.tryTake(1)).toBe(false);
    now = 500;
    expect(rate.tryTake(1)).toBe(true);
  });

  it('lets a rate under one per second send one email, then waits', () => {
    let now = 0;
    const rate = new SendRateLimiter(0.5, () => now);
    expect(rate.tryTake(1)).toBe(true);
    now = 1_999;
    expect(rate.tryTake(1)).toBe(false);
    now = 2_010;
    expect(rate.tryTake(1)).toBe(true);
  });

  it('counts the recipients of v2 and v1 sends, and no other request', () => {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
    const formType = 'application/x-www-form-urlencoded; charset=utf-8';
    expect(
      sendOfRequest(
        '/v2/email/outbound-emails',
        'application/json',
        json({ Destination: { ToAddresses: ['a@x'], CcAddresses: ['b@x'], BccAddresses: ['c@x', 'd@x'] } }),
      ),
    ).toEqual({ operation: 'v2:SendEmail', recipients: 4 });
    expect(sendOfRequest('/v2/email/outbound-emails', 'application/json', json({ Content: {} }))).toEqual({
      operation: 'v2:SendEmail',
      recipients: 1,
    });
    expect(
      sendOfRequest('/', formType, form({ Action: 'SendRawEmail', 'Destinations.member.1': 'a@x', 'Destinations.member.2': 'b@x' })),
    ).toEqual({ operation: 'v1:SendRawEmail', recipients: 2 });
    expect(
      sendOfRequest(
        '/',
        formType,
        form({ Action: 'SendEmail', 'Destination.ToAddresses.member.1': 'a@x', 'Destination.BccAddresses.member.1': 'b@x' }),
      ),
    ).toEqual({ operation: 'v1:SendEmail', recipients: 2 });
    expect(sendOfRequest('/', formType, form({ Action: 'GetSendQuota' }))).toBeUndefined();
  });

  it('refuses a rate that is not a positive number', () => {
    expect(() => new SendRateLimiter(0)).toThrow(RangeError);
    expect(() => new SendRateLimiter(Number.NaN)).toThrow(RangeError);
    expect(() => new SendRateLimiter(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
