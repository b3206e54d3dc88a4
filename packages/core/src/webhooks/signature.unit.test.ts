import { createHmac } from 'node:crypto';
import { signatureHeader } from './signature';

const body = '{"id":"evt_1","type":"export.succeeded","note":"zoë"}';
const t = 1_796_000_000;

function hmac(secret: string, message: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');
}

describe('signatureHeader', () => {
  it('signs "<t>.<body>" with the whole secret string as the key', () => {
    expect(signatureHeader(body, ['whsec_current'], t)).toBe(`t=${t},v1=${hmac('whsec_current', `${t}.${body}`)}`);
  });

  it('adds one v1 per secret, current first', () => {
    const header = signatureHeader(body, ['whsec_current', 'whsec_previous'], t);
    expect(header.split(',')).toEqual([
      `t=${t}`,
      `v1=${hmac('whsec_current', `${t}.${body}`)}`,
      `v1=${hmac('whsec_previous', `${t}.${body}`)}`,
    ]);
  });

  it('changes with the timestamp and with a single byte of the body', () => {
    const base = signatureHeader(body, ['whsec_a'], t).split(',')[1];
    expect(signatureHeader(body, ['whsec_a'], t + 1).split(',')[1]).not.toBe(base);
    expect(signatureHeader(`${body} `, ['whsec_a'], t).split(',')[1]).not.toBe(base);
  });

  it('refuses to sign with no secret', () => {
    expect(() => signatureHeader(body, [], t)).toThrow(/at least one secret/);
  });
});
