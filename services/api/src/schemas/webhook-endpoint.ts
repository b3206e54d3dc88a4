import {
  DEFAULT_WEBHOOK_ENDPOINTS_PER_USER,
  DELIVERY_ATTEMPTS_KEPT,
  DELIVERY_RETENTION_DAYS,
  WEBHOOK_EVENT_TYPES,
} from '@memberships/core/contract';

/**
 * The public shapes of webhook endpoints and their deliveries (snake_case),
 * projections of core's WebhookEndpoint and WebhookDelivery: the owner, the
 * secrets and the stored payload are not in them (the secret is shown once,
 * by create and rotate-secret: WebhookEndpointWithSecret).
 */
const timestamp = { type: 'string', format: 'date-time' } as const;

/** Longest receiver URL accepted (the address policy's limit). */
export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const WEBHOOK_DESCRIPTION_MAX_LENGTH = 200;

export const webhookEventsProperty = {
  type: 'array',
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  uniqueItems: true,
  items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
  description: 'The events sent to this endpoint: an export reaching a final state.',
} as const;

export const webhookUrlProperty = {
  type: 'string',
  minLength: 1,
  maxLength: WEBHOOK_URL_MAX_LENGTH,
  description:
    'Where events are POSTed: `https://`, no user name or password in it, on a host whose every address is public ' +
    '(private, loopback, link-local and cloud metadata addresses are refused).',
} as const;

export const webhookDescriptionProperty = {
  type: 'string',
  maxLength: WEBHOOK_DESCRIPTION_MAX_LENGTH,
  description: 'A note of yours, e.g. what receives the events.',
} as const;

const endpointProperties = {
  id: { type: 'string', pattern: '^we_[0-9a-f]{24}$', description: 'Endpoint id.' },
  url: { type: 'string', description: 'Where events are POSTed (as accepted: normalised).' },
  events: webhookEventsProperty,
  description: webhookDescriptionProperty,
  status: {
    type: 'string',
    enum: ['enabled', 'disabled'],
    description: '`enabled` is sent events; `disabled` (by you, or after failing for 24 hours) is not, until enabled again.',
  },
  disabled_at: { ...timestamp, description: 'When it was disabled.' },
  disabled_reason: { type: 'string', description: 'Why: `disabled_by_user`, or the failures that disabled it.' },
  failing_since: { ...timestamp, description: 'Start of the current run of failed deliveries; absent while they succeed.' },
  previous_secret_expires_at: {
    ...timestamp,
    description: 'After a rotation: until then deliveries are signed with the previous secret too (a second `v1`).',
  },
  created_at: timestamp,
  updated_at: timestamp,
  links: {
    type: 'object',
    additionalProperties: false,
    required: ['self', 'deliveries'],
    properties: {
      self: { type: 'string', description: 'This endpoint.' },
      deliveries: { type: 'string', description: 'Its deliveries, newest first.' },
    },
  },
} as const;

const endpointRequired = ['id', 'url', 'events', 'status', 'created_at', 'updated_at', 'links'] as const;

export const webhookEndpointSchema = {
  $id: 'WebhookEndpoint',
  type: 'object',
  description:
    'A URL of yours that is sent completion events as signed POSTs (`Memberships-Signature`). ' +
    `At most ${DEFAULT_WEBHOOK_ENDPOINTS_PER_USER} per account by default. Never shows its secret.`,
  additionalProperties: false,
  required: [...endpointRequired],
  properties: endpointProperties,
} as const;

export const webhookEndpointWithSecretSchema = {
  $id: 'WebhookEndpointWithSecret',
  type: 'object',
  description: 'The endpoint and its signing secret, shown only in this answer (create, rotate-secret): store it now.',
  additionalProperties: false,
  required: [...endpointRequired, 'secret'],
  properties: {
    ...endpointProperties,
    secret: {
      type: 'string',
      pattern: '^whsec_[A-Za-z0-9_-]{43}$',
      description: 'The HMAC-SHA256 key of the signatures (the whole string, as UTF-8).',
    },
  },
} as const;

export const webhookEndpointListSchema = {
  $id: 'WebhookEndpointList',
  type: 'object',
  description: 'Your webhook endpoints, oldest first (all of them: there are only a few).',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: 'WebhookEndpoint#' } } },
} as const;

export const webhookDeliverySchema = {
  $id: 'WebhookDelivery',
  type: 'object',
  description: `One event sent to one endpoint, retried with backoff for 24 hours until a 2xx answer. Kept ${DELIVERY_RETENTION_DAYS} days.`,
  additionalProperties: false,
  required: ['id', 'event_id', 'event_type', 'job_id', 'status', 'attempt_count', 'attempts', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string', pattern: '^wd_[0-9a-f]{24}$', description: 'Delivery id (`Memberships-Delivery-Id`).' },
    event_id: { type: 'string', description: 'The event (`Memberships-Event-Id`): the same for every endpoint and every attempt.' },
    event_type: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
    job_id: { type: 'string', description: 'The export the event is about.' },
    status: {
      type: 'string',
      enum: ['pending', 'succeeded', 'failed'],
      description: '`pending`: on its way or waiting for a retry; `succeeded`: a 2xx answer; `failed`: given up.',
    },
    attempt_count: { type: 'integer', minimum: 0, description: 'Attempts made, all of them.' },
    attempts: {
      type: 'array',
      description: `The latest ${DELIVERY_ATTEMPTS_KEPT} attempts, oldest first.`,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'response_status', 'duration_ms', 'trigger'],
        properties: {
          at: timestamp,
          response_status: { type: ['integer', 'null'], description: "The receiver's HTTP status; null when nothing answered." },
          duration_ms: { type: 'integer', minimum: 0 },
          error: { type: 'string', description: 'Why it failed: `timeout`, `connection_failed`, `http_500`...' },
          trigger: { type: 'string', enum: ['automatic', 'manual'], description: '`manual`: a re-send you asked for.' },
        },
      },
    },
    next_retry_at: { ...timestamp, description: 'When the next attempt is due, while pending.' },
    created_at: timestamp,
    updated_at: timestamp,
  },
} as const;

export const webhookDeliveryListSchema = {
  $id: 'WebhookDeliveryList',
  type: 'object',
  description: "A page of the endpoint's deliveries, newest first.",
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: { type: 'array', items: { $ref: 'WebhookDelivery#' } },
    next_cursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last one.' },
  },
} as const;
