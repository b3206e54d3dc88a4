import type { WebhookDelivery, WebhookEndpoint } from '@memberships/sdk';
import { styleFor } from './output.js';
import { deliveryTable, describeEndpoint, describeLastAttempt, eventLine } from './webhook-format.js';

const plain = styleFor({ isTTY: false }, false);
const colour = styleFor({ isTTY: true }, false);

const endpoint: WebhookEndpoint = {
  id: 'we_0123456789abcdef01234567',
  url: 'https://hooks.example.test/',
  events: ['export.succeeded', 'export.failed'],
  status: 'disabled',
  disabled_at: '2026-03-02T06:00:00.000Z',
  disabled_reason: 'failing since 2026-03-01T06:00:00.000Z',
  failing_since: '2026-03-01T06:00:00.000Z',
  created_at: '2026-02-01T06:00:00.000Z',
  updated_at: '2026-03-02T06:00:00.000Z',
  links: {
    self: '/v1/webhook-endpoints/we_0123456789abcdef01234567',
    deliveries: '/v1/webhook-endpoints/we_0123456789abcdef01234567/deliveries',
  },
};

const delivery = (attempts: WebhookDelivery['attempts'], status: WebhookDelivery['status'] = 'pending'): WebhookDelivery => ({
  id: 'wd_0123456789abcdef01234567',
  event_id: 'evt_0123456789abcdef01234567',
  event_type: 'export.failed',
  job_id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c',
  status,
  attempt_count: attempts.length,
  attempts,
  created_at: '2026-03-01T06:00:00.000Z',
  updated_at: '2026-03-01T06:00:00.000Z',
});

describe('webhook formatting', () => {
  it('shows why an endpoint is disabled and since when it fails', () => {
    expect(describeEndpoint(endpoint, plain)).toEqual([
      'Endpoint  we_0123456789abcdef01234567',
      'URL       https://hooks.example.test/',
      'Events    export.succeeded, export.failed',
      'Status    disabled (failing since 2026-03-01T06:00:00.000Z)',
      'Failing   since 2026-03-01 06:00 UTC',
      'Created   2026-02-01 06:00 UTC',
    ]);
  });

  it("sums up a delivery's last attempt: the status, or why nothing answered, and a manual resend", () => {
    expect(describeLastAttempt(delivery([]))).toBe('-');
    expect(
      describeLastAttempt(
        delivery([
          { at: '2026-03-01T06:00:01.000Z', response_status: 200, duration_ms: 12, trigger: 'automatic' },
          { at: '2026-03-01T06:00:02.000Z', response_status: null, duration_ms: 5000, error: 'timeout', trigger: 'manual' },
        ]),
      ),
    ).toBe('timeout in 5000 ms (resent)');
    expect(
      describeLastAttempt(delivery([{ at: '2026-03-01T06:00:01.000Z', response_status: 503, duration_ms: 40, trigger: 'automatic' }])),
    ).toBe('503 in 40 ms');
  });

  it('lays deliveries out in columns', () => {
    const [header, row] = deliveryTable(
      [delivery([{ at: '2026-03-01T06:00:01.000Z', response_status: 500, duration_ms: 40, trigger: 'automatic' }], 'failed')],
      plain,
    );
    expect(header).toMatch(/^ID\s+EVENT\s+JOB\s+STATUS\s+ATTEMPTS\s+LAST ATTEMPT\s+CREATED$/);
    expect(row).toMatch(
      /^wd_0123456789abcdef01234567 {2}export\.failed {2}b3a1c9e2-\S+ {2}failed\s+1\s+500 in 40 ms {2}2026-03-01 06:00 UTC$/,
    );
  });

  it('prints a received event on one line, what an unverified one claims shown as such', () => {
    const at = new Date('2026-03-01T06:00:05.000Z');
    const event = { type: 'export.failed' as const, data: { object: { id: 'job-1' } } } as never;
    expect(eventLine({ at, verified: true, event }, plain)).toBe('2026-03-01T06:00:05.000Z  export.failed  job-1  VERIFIED');
    expect(eventLine({ at, verified: false, event, problem: 'signature_mismatch' }, plain)).toBe(
      '2026-03-01T06:00:05.000Z  export.failed  job-1  UNVERIFIED (signature_mismatch)',
    );
    expect(eventLine({ at, verified: false, event: undefined, problem: 'missing_header' }, plain)).toBe(
      '2026-03-01T06:00:05.000Z  ?  ?  UNVERIFIED (missing_header)',
    );
    expect(eventLine({ at, verified: true, event }, colour)).toContain('\u001b[32mVERIFIED\u001b[39m');
  });
});
