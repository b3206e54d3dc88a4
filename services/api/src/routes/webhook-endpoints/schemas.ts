import type { WebhookEventType } from '@memberships/core/contract';
import { bodyProblemResponses, commonProblemResponses, problemResponse, retryAfterHeader } from '../../schemas/problem';
import { webhookDescriptionProperty, webhookEventsProperty, webhookUrlProperty } from '../../schemas/webhook-endpoint';

export interface EndpointIdParams {
  readonly id: string;
}

export interface DeliveryIdParams extends EndpointIdParams {
  readonly delivery_id: string;
}

export interface CreateEndpointBody {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
}

export interface UpdateEndpointBody {
  readonly url?: string;
  readonly events?: readonly WebhookEventType[];
  readonly description?: string | null;
  readonly enabled?: boolean;
}

export interface ListDeliveriesQuery {
  readonly limit: number;
  readonly cursor?: string;
}

export const DEFAULT_DELIVERY_PAGE_SIZE = 20;
export const MAX_DELIVERY_PAGE_SIZE = 100;

const TAGS = ['webhooks'];

const endpointIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'Webhook endpoint id (`we_…`).' } },
} as const;

const deliveryIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'delivery_id'],
  properties: {
    ...endpointIdParams.properties,
    delivery_id: { type: 'string', minLength: 1, maxLength: 200, description: 'Delivery id (`wd_…`).' },
  },
} as const;

const notFound = {
  404: problemResponse('No webhook endpoint with this id belongs to you (`webhook_endpoint_not_found`).'),
} as const;
const urlRefused = {
  422: problemResponse(
    'The URL is not one events are sent to (`webhook_url_refused`; `reason`: `scheme_not_allowed` (https only), ' +
      '`credentials_in_url`, `port_not_allowed` (443, 8443 or 1024 up), `address_refused` (a private, loopback, ' +
      'link-local or metadata address), `dns_failed`, `invalid_url`; `detail` explains it).',
  ),
} as const;

export const createEndpointSchema = {
  tags: TAGS,
  operationId: 'createWebhookEndpoint',
  summary: 'Register a webhook endpoint',
  description:
    'From now on, each of your exports reaching a final state that `events` names is POSTed to `url` as a signed event ' +
    '(`Memberships-Signature: t=…,v1=…`, HMAC-SHA256 with `secret`). The answer is the only one that shows `secret`: store it.',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'events'],
    properties: { url: webhookUrlProperty, events: webhookEventsProperty, description: webhookDescriptionProperty },
  },
  response: {
    201: {
      description: 'Created and enabled. `Location` is the endpoint.',
      headers: { location: { type: 'string', description: 'Path of the endpoint: `/v1/webhook-endpoints/{id}`.' } },
      $ref: 'WebhookEndpointWithSecret#',
    },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
    409: problemResponse('You already have as many webhook endpoints as allowed (`webhook_endpoint_limit_reached`); delete one first.'),
    ...urlRefused,
  },
} as const;

export const listEndpointsSchema = {
  tags: TAGS,
  operationId: 'listWebhookEndpoints',
  summary: 'List your webhook endpoints, oldest first',
  querystring: { type: 'object', additionalProperties: false, properties: {} },
  response: {
    200: { description: 'All of your endpoints.', $ref: 'WebhookEndpointList#' },
    ...commonProblemResponses(),
  },
} as const;

export const getEndpointSchema = {
  tags: TAGS,
  operationId: 'getWebhookEndpoint',
  summary: 'Get one of your webhook endpoints',
  params: endpointIdParams,
  response: {
    200: { description: 'The endpoint.', $ref: 'WebhookEndpoint#' },
    ...commonProblemResponses(),
    ...notFound,
  },
} as const;

export const updateEndpointSchema = {
  tags: TAGS,
  operationId: 'updateWebhookEndpoint',
  summary: 'Change a webhook endpoint, or enable or disable it',
  description:
    'Fields left out keep their value; `description: null` removes it. `enabled: true` turns a disabled endpoint back on ' +
    '(and forgets the failures that disabled it); `enabled: false` stops deliveries to it. A new `url` is checked like on create.',
  params: endpointIdParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: webhookUrlProperty,
      events: webhookEventsProperty,
      description: { ...webhookDescriptionProperty, type: ['string', 'null'] },
      enabled: { type: 'boolean', description: 'true: enabled, sent events; false: disabled.' },
    },
  },
  response: {
    200: { description: 'The changed endpoint.', $ref: 'WebhookEndpoint#' },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
    ...notFound,
    ...urlRefused,
  },
} as const;

export const deleteEndpointSchema = {
  tags: TAGS,
  operationId: 'deleteWebhookEndpoint',
  summary: 'Delete a webhook endpoint',
  description: 'Nothing more is sent to it, retries included.',
  params: endpointIdParams,
  response: {
    204: { description: 'Deleted.', type: 'null' },
    ...commonProblemResponses(),
    ...notFound,
  },
} as const;

export const rotateSecretSchema = {
  tags: TAGS,
  operationId: 'rotateWebhookSecret',
  summary: 'Give a webhook endpoint a new signing secret',
  description:
    'The answer shows the new `secret` (only this once). For 24 hours (`previous_secret_expires_at`) deliveries are signed ' +
    'with the old secret too, a second `v1` in the header, so receivers can switch without dropping one.',
  params: endpointIdParams,
  response: {
    200: { description: 'The endpoint and its new secret.', $ref: 'WebhookEndpointWithSecret#' },
    ...commonProblemResponses(),
    ...notFound,
  },
} as const;

export const listDeliveriesSchema = {
  tags: TAGS,
  operationId: 'listWebhookDeliveries',
  summary: "List a webhook endpoint's deliveries, newest first",
  params: endpointIdParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_DELIVERY_PAGE_SIZE,
        default: DEFAULT_DELIVERY_PAGE_SIZE,
        description: 'Page size.',
      },
      cursor: { type: 'string', minLength: 1, maxLength: 2048, description: '`next_cursor` of the previous page.' },
    },
  },
  response: {
    200: { description: 'A page of deliveries.', $ref: 'WebhookDeliveryList#' },
    ...commonProblemResponses(),
    400: problemResponse(
      'The request is malformed (`validation_failed`), or the cursor is not a `next_cursor` of this listing (`invalid_cursor`).',
    ),
    ...notFound,
  },
} as const;

export const resendDeliverySchema = {
  tags: TAGS,
  operationId: 'resendWebhookDelivery',
  summary: 'Send a delivery again',
  description:
    'Queues the delivery again, with the same event (id and body) newly signed: the attempt is recorded with `trigger: manual`. ' +
    'Any delivery can be re-sent, a succeeded one too.',
  params: deliveryIdParams,
  response: {
    202: { description: 'Queued again: `pending`, due now.', $ref: 'WebhookDelivery#' },
    ...commonProblemResponses(),
    404: problemResponse(
      'No such endpoint of yours (`webhook_endpoint_not_found`), or no such delivery of it (`webhook_delivery_not_found`).',
    ),
    409: problemResponse('The endpoint is disabled (`webhook_endpoint_disabled`); enable it first.'),
    503: problemResponse(
      'The re-send could not be queued (`webhook_queue_unavailable`); retry after `Retry-After` seconds.',
      retryAfterHeader,
    ),
  },
} as const;
