import type { Message } from '@aws-sdk/client-sqs';
import type { DeliveryAttempt, WebhookDelivery, WebhookDeliveryV1, WebhookEndpoint } from '@memberships/core/contract';
import pino from 'pino';
import type { ReceivedMessage } from './message-actions';
import { WebhookDeliveryHandler } from './webhook-delivery';
import type { AttemptOutcome, WebhookRequest } from './webhook-sender';

// The handler's decisions with its collaborators stubbed (the store and the sender are tested on their own,
// and together in webhooks.test.ts).
const now = new Date('2026-12-01T12:00:00.000Z');
const userId = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20';
const endpointId = `we_${'a'.repeat(24)}`;
const deliveryId = `wd_${'b'.repeat(24)}`;
const retry = { windowSeconds: 3600, baseSeconds: 30, maxSeconds: 600 };

const endpoint = (changes: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: endpointId,
  userId,
  url: 'https://hooks.example.com/x',
  events: ['export.succeeded'],
  status: 'enabled',
  secret: 'whsec_current',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  ...changes,
});
const delivery = (changes: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id: deliveryId,
  endpointId,
  userId,
  eventId: `evt_${'c'.repeat(24)}`,
  eventType: 'export.succeeded',
  jobId: 'job-1',
  status: 'pending',
  attemptCount: 0,
  attempts: [],
  payload: '{"id":"evt_c"}',
  createdAt: new Date(now.getTime() - 60_000).toISOString(),
  updatedAt: now.toISOString(),
  expiresAt: 0,
  ...changes,
});
const message = (trigger: 'automatic' | 'manual' = 'automatic'): WebhookDeliveryV1 => ({
  type: 'webhook.delivery',
  version: 1,
  deliveryId,
  endpointId,
  userId,
  trigger,
});

function setup(found: { delivery?: WebhookDelivery; endpoint?: WebhookEndpoint; failing?: WebhookEndpoint }, outcome: AttemptOutcome) {
  const recorded: { attempt: DeliveryAttempt; outcome: { status: string; nextRetryAt?: string } }[] = [];
  const sent: WebhookRequest[] = [];
  const visibility: number[] = [];
  const notified: string[] = [];
  let disables = 0;
  const handler = new WebhookDeliveryHandler({
    webhooks: {
      getDeliveryById: async () => found.delivery,
      getEndpointById: async () => found.endpoint,
      recordAttempt: async (_id, attempt, result) => {
        recorded.push({ attempt, outcome: result });
        return found.delivery!;
      },
      recordEndpointFailure: async () => found.failing ?? found.endpoint,
      recordEndpointSuccess: async () => undefined,
      disableEndpoint: async () => {
        disables += 1;
        return disables === 1;
      },
    },
    sender: {
      send: async (request) => {
        sent.push(request);
        return outcome;
      },
    },
    actions: {
      changeVisibility: async (_message, seconds) => {
        visibility.push(seconds);
        return true;
      },
    },
    notices: {
      notify: async (_log, failing, since) => {
        notified.push(`${failing.id} ${since}`);
        return true;
      },
    },
    retry,
    now: () => now,
    random: () => 0,
  });
  const context: ReceivedMessage = { message: { MessageId: 'm-1' } as Message, receiveCount: 1, log: pino({ level: 'silent' }) };
  return { handler, context, recorded, sent, visibility, notified };
}

const failed: AttemptOutcome = { delivered: false, responseStatus: 503, durationMs: 12, error: 'http_503' };
const ok: AttemptOutcome = { delivered: true, responseStatus: 204, durationMs: 9 };

describe('WebhookDeliveryHandler', () => {
  it('records a delivered attempt and acknowledges', async () => {
    const t = setup({ delivery: delivery(), endpoint: endpoint() }, ok);
    await expect(t.handler.handle(t.context, message())).resolves.toBe('ack');
    expect(t.recorded).toEqual([
      { attempt: { at: now.toISOString(), responseStatus: 204, durationMs: 9, trigger: 'automatic' }, outcome: { status: 'succeeded' } },
    ]);
    expect(t.sent[0]).toMatchObject({ url: 'https://hooks.example.com/x', payload: '{"id":"evt_c"}', secrets: ['whsec_current'] });
  });

  it('signs with the previous secret too while it is valid, and not after', async () => {
    const valid = setup(
      {
        delivery: delivery(),
        endpoint: endpoint({ previousSecret: 'whsec_old', previousSecretExpiresAt: new Date(now.getTime() + 1000).toISOString() }),
      },
      ok,
    );
    await valid.handler.handle(valid.context, message());
    expect(valid.sent[0]!.secrets).toEqual(['whsec_current', 'whsec_old']);
    const expired = setup(
      { delivery: delivery(), endpoint: endpoint({ previousSecret: 'whsec_old', previousSecretExpiresAt: now.toISOString() }) },
      ok,
    );
    await expired.handler.handle(expired.context, message());
    expect(expired.sent[0]!.secrets).toEqual(['whsec_current']);
  });

  it('leaves a failed attempt hidden for its backoff, pending with its next retry', async () => {
    const t = setup({ delivery: delivery({ attemptCount: 2 }), endpoint: endpoint() }, failed);
    await expect(t.handler.handle(t.context, message())).resolves.toBe('leave');
    // Third attempt: 30 · 2² = 120 s.
    expect(t.visibility).toEqual([120]);
    expect(t.recorded[0]!.outcome).toEqual({ status: 'pending', nextRetryAt: new Date(now.getTime() + 120_000).toISOString() });
    expect(t.recorded[0]!.attempt).toMatchObject({ responseStatus: 503, error: 'http_503' });
  });

  it('fails the delivery once the window has passed', async () => {
    const t = setup({ delivery: delivery({ createdAt: new Date(now.getTime() - 3600_000).toISOString() }), endpoint: endpoint() }, failed);
    await expect(t.handler.handle(t.context, message())).resolves.toBe('ack');
    expect(t.visibility).toEqual([]);
    expect(t.recorded[0]!.outcome).toEqual({ status: 'failed' });
  });

  it('disables an endpoint failing for the whole window, emails its owner, and fails the delivery', async () => {
    const since = new Date(now.getTime() - 3600_000).toISOString();
    const t = setup({ delivery: delivery({ attemptCount: 5 }), endpoint: endpoint(), failing: endpoint({ failingSince: since }) }, failed);
    await expect(t.handler.handle(t.context, message())).resolves.toBe('ack');
    expect(t.notified).toEqual([`${endpointId} ${since}`]);
    expect(t.recorded[0]!.outcome).toEqual({ status: 'failed' });
  });

  it('does not attempt a duplicate automatic message of a delivery that succeeded or failed', async () => {
    for (const status of ['succeeded', 'failed'] as const) {
      const t = setup({ delivery: delivery({ status }), endpoint: endpoint() }, ok);
      await expect(t.handler.handle(t.context, message())).resolves.toBe('ack');
      expect(t.sent).toHaveLength(0);
      expect(t.recorded).toHaveLength(0);
    }
  });

  it('makes one attempt for a manual re-send of a failed delivery, and does not retry it', async () => {
    const resent = setup({ delivery: delivery({ status: 'failed', attemptCount: 9 }), endpoint: endpoint() }, ok);
    await expect(resent.handler.handle(resent.context, message('manual'))).resolves.toBe('ack');
    expect(resent.recorded[0]).toMatchObject({ attempt: { trigger: 'manual' }, outcome: { status: 'succeeded' } });
    const again = setup({ delivery: delivery({ status: 'failed', attemptCount: 9 }), endpoint: endpoint() }, failed);
    await expect(again.handler.handle(again.context, message('manual'))).resolves.toBe('ack');
    expect(again.visibility).toEqual([]);
    expect(again.recorded[0]).toMatchObject({ attempt: { trigger: 'manual', error: 'http_503' }, outcome: { status: 'failed' } });
  });

  it.each([
    ['endpoint_disabled', endpoint({ status: 'disabled' })],
    ['endpoint_deleted', undefined],
  ])('fails a delivery with %s without sending anything (manual re-sends too)', async (error, found) => {
    for (const trigger of ['automatic', 'manual'] as const) {
      const t = setup({ delivery: delivery(), ...(found ? { endpoint: found } : {}) }, ok);
      await expect(t.handler.handle(t.context, message(trigger))).resolves.toBe('ack');
      expect(t.sent).toHaveLength(0);
      expect(t.recorded[0]).toMatchObject({ attempt: { responseStatus: null, error }, outcome: { status: 'failed' } });
    }
  });

  it('acknowledges a message whose delivery is gone or belongs to another endpoint', async () => {
    for (const found of [undefined, delivery({ endpointId: `we_${'f'.repeat(24)}` })]) {
      const t = setup({ ...(found ? { delivery: found } : {}), endpoint: endpoint() }, ok);
      await expect(t.handler.handle(t.context, message())).resolves.toBe('ack');
      expect(t.sent).toHaveLength(0);
    }
  });
});
