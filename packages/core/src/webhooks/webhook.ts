import { createHash } from 'node:crypto';
import { messageObject } from '../messages';

/**
 * Completion events and the webhook endpoints that receive them: the shapes
 * the API (endpoints, cancel events), the worker (success and failure events,
 * deliveries) and the clients share. No dependency: the store is
 * webhook-store.ts, the signing signature.ts, the address rules
 * address-policy.ts.
 *
 * An event is emitted once per job and final state, so its id is derived
 * from the two (eventIdOf): a state is final, and an emission repeated after
 * a crash names the same event, which the fan-out writes once per endpoint.
 */

export const WEBHOOK_EVENT_TYPES = ['export.succeeded', 'export.failed', 'export.canceled', 'export.expired'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The final job state an event type reports. */
export const EVENT_TYPE_OF_STATE = {
  succeeded: 'export.succeeded',
  failed: 'export.failed',
  canceled: 'export.canceled',
  expired: 'export.expired',
} as const satisfies Record<string, WebhookEventType>;

/** `evt_` and 24 hex characters of SHA-256 over job id and type: the same event whoever emits it, however often. */
export function eventIdOf(jobId: string, type: WebhookEventType): string {
  return `evt_${createHash('sha256').update(`${jobId}\n${type}`).digest('hex').slice(0, 24)}`;
}

/** `wd_` and 24 hex characters of SHA-256 over endpoint and event: one delivery per endpoint and event. */
export function deliveryIdOf(endpointId: string, eventId: string): string {
  return `wd_${createHash('sha256').update(`${endpointId}\n${eventId}`).digest('hex').slice(0, 24)}`;
}

/** Most endpoints one user may have (WEBHOOK_MAX_ENDPOINTS). */
export const DEFAULT_WEBHOOK_ENDPOINTS_PER_USER = 5;
/** How long a rotated-out signing secret still signs (and so verifies), in ms: 24 hours. */
export const PREVIOUS_SECRET_VALIDITY_MS = 24 * 3600 * 1000;
/** How long deliveries are retried, and how long an endpoint may fail before it is disabled: 24 hours. */
export const DEFAULT_WEBHOOK_RETRY_WINDOW_SECONDS = 24 * 3600;
/** Receivers should reject a signature whose timestamp is older than this (verifyWebhookSignature's default). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** The request header that carries the signature. */
export const SIGNATURE_HEADER = 'Memberships-Signature';
/** Source of the events on the platform's EventBridge bus. */
export const EVENT_SOURCE = 'memberships.exports';
/** Delivery records live this long (DynamoDB TTL). */
export const DELIVERY_RETENTION_DAYS = 30;
/** Attempts kept on a delivery record in detail (the count counts all). */
export const DELIVERY_ATTEMPTS_KEPT = 50;

export interface WebhookEndpoint {
  /** `we_` and 24 hex characters. */
  readonly id: string;
  readonly userId: string;
  /** The URL as accepted (normalised by `new URL`). */
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string | undefined;
  readonly status: 'enabled' | 'disabled';
  readonly disabledAt?: string | undefined;
  readonly disabledReason?: string | undefined;
  /** `whsec_` and 32 bytes base64url; never shown after creation or rotation. */
  readonly secret: string;
  /** The secret before the last rotation, valid until previousSecretExpiresAt. */
  readonly previousSecret?: string | undefined;
  readonly previousSecretExpiresAt?: string | undefined;
  /** Start of the current run of failed attempts; cleared by a delivered one. */
  readonly failingSince?: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  readonly at: string;
  /** The receiver's HTTP status, or null when there was no answer (refused, timed out, connection failed). */
  readonly responseStatus: number | null;
  readonly durationMs: number;
  /** Why it failed when it did: `timeout`, `connection_failed`, `address_refused`, `http_500`, `redirect_not_followed`, ... */
  readonly error?: string | undefined;
  /** `manual` for a re-send asked for through the API. */
  readonly trigger: 'automatic' | 'manual';
}

export interface WebhookDelivery {
  /** deliveryIdOf(endpointId, eventId). */
  readonly id: string;
  readonly endpointId: string;
  readonly userId: string;
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  readonly jobId: string;
  readonly status: DeliveryStatus;
  readonly attemptCount: number;
  /** The latest DELIVERY_ATTEMPTS_KEPT attempts, oldest first. */
  readonly attempts: readonly DeliveryAttempt[];
  readonly nextRetryAt?: string | undefined;
  /** The exact body sent (and re-sent): the event as it was when it occurred. */
  readonly payload: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: number;
}

// ---- Messages on the webhook queue (producers: API, worker; consumer: the worker's webhook lanes) ----

export const EVENT_OCCURRED = 'event.occurred';
export const WEBHOOK_DELIVERY = 'webhook.delivery';
export const EXPIRY_SWEEP = 'expiry.sweep';

/** A job reached a final state: put it on the bus and fan it out to the user's endpoints. */
export interface EventOccurredV1 {
  readonly type: typeof EVENT_OCCURRED;
  readonly version: 1;
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  readonly jobId: string;
  readonly userId: string;
  readonly occurredAt: string;
}

/** Send (or re-send) one delivery; its record holds the payload and the attempts. */
export interface WebhookDeliveryV1 {
  readonly type: typeof WEBHOOK_DELIVERY;
  readonly version: 1;
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly userId: string;
  readonly trigger: 'automatic' | 'manual';
}

/**
 * The hourly tick of the expiry sweep (EventBridge Scheduler, schedule
 * EXPIRY_SWEEP_SCHEDULE): emit `export.expired` for the files that expired
 * in the complete hours before `scheduledTime` not swept yet. Belongs to no
 * user; a duplicate is harmless (the fan-out writes one delivery per event).
 */
export interface ExpirySweepV1 {
  readonly type: typeof EXPIRY_SWEEP;
  readonly version: 1;
  /** The Scheduler's `<aws.scheduler.scheduled-time>`: the time the tick was due. */
  readonly scheduledTime: string;
}

export type WebhookQueueMessage = EventOccurredV1 | WebhookDeliveryV1 | ExpirySweepV1;

/**
 * The input of the expiry sweep's Scheduler target: an expiry.sweep v1 with
 * the Scheduler's placeholder, which it replaces by the scheduled time.
 */
export function expirySweepTargetInput(): string {
  return JSON.stringify({ type: EXPIRY_SWEEP, version: 1, scheduledTime: '<aws.scheduler.scheduled-time>' });
}

/** The event.occurred message for job `jobId` of `userId` reaching `type` at `occurredAt`. */
export function eventOccurredMessage(jobId: string, userId: string, type: WebhookEventType, occurredAt: string): EventOccurredV1 {
  return { type: EVENT_OCCURRED, version: 1, eventId: eventIdOf(jobId, type), eventType: type, jobId, userId, occurredAt };
}

export type WebhookMessageParse =
  | { readonly ok: true; readonly message: WebhookQueueMessage }
  | { readonly ok: false; readonly code: string; readonly reason: string };

const ID = /^[A-Za-z0-9_.:-]{1,200}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a webhook queue message; anything else is rejected with a reason, never guessed at. */
export function parseWebhookMessage(body: string | undefined): WebhookMessageParse {
  const object = messageObject(body);
  if (!object.ok) return object;
  const r = object.record;
  const invalid = (reason: string): WebhookMessageParse => ({ ok: false, code: 'invalid_field', reason });
  if (r.type !== EVENT_OCCURRED && r.type !== WEBHOOK_DELIVERY && r.type !== EXPIRY_SWEEP) {
    return { ok: false, code: 'unknown_type', reason: `unknown message type ${JSON.stringify(r.type)}` };
  }
  if (r.version !== 1)
    return { ok: false, code: 'unsupported_version', reason: `unsupported version ${JSON.stringify(r.version)} of ${r.type}` };
  if (r.type === EXPIRY_SWEEP) {
    // A placeholder left unreplaced (or any other text) is no time: Date.parse gives NaN.
    if (typeof r.scheduledTime !== 'string' || Number.isNaN(Date.parse(r.scheduledTime)))
      return invalid('scheduledTime must be an ISO 8601 timestamp');
    return { ok: true, message: { type: EXPIRY_SWEEP, version: 1, scheduledTime: r.scheduledTime } };
  }
  if (typeof r.userId !== 'string' || !UUID.test(r.userId)) return invalid('userId is missing or not a UUID');
  if (r.type === EVENT_OCCURRED) {
    if (!isWebhookEventType(r.eventType)) return invalid('eventType is not an event type');
    if (typeof r.jobId !== 'string' || !ID.test(r.jobId)) return invalid('jobId is missing or malformed');
    if (typeof r.occurredAt !== 'string' || Number.isNaN(Date.parse(r.occurredAt)))
      return invalid('occurredAt must be an ISO 8601 timestamp');
    // The id is derived, never trusted from the body: a forged one cannot name another event.
    return { ok: true, message: eventOccurredMessage(r.jobId, r.userId, r.eventType, r.occurredAt) };
  }
  if (typeof r.deliveryId !== 'string' || !/^wd_[0-9a-f]{24}$/.test(r.deliveryId)) return invalid('deliveryId is malformed');
  if (typeof r.endpointId !== 'string' || !/^we_[0-9a-f]{24}$/.test(r.endpointId)) return invalid('endpointId is malformed');
  if (r.trigger !== 'automatic' && r.trigger !== 'manual') return invalid('trigger must be "automatic" or "manual"');
  return {
    ok: true,
    message: {
      type: WEBHOOK_DELIVERY,
      version: 1,
      deliveryId: r.deliveryId,
      endpointId: r.endpointId,
      userId: r.userId,
      trigger: r.trigger,
    },
  };
}

export function encodeWebhookMessage(message: WebhookQueueMessage): string {
  return JSON.stringify(message);
}
