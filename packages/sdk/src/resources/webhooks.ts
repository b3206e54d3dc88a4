import { dataOf, ensureOk } from '../api-call.js';
import type {
  CreatedWebhookEndpoint,
  NewWebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointList,
} from '../types.js';
import type { CallOptions, ResourceContext } from './context.js';

export interface ListDeliveriesOptions extends CallOptions {
  /** Deliveries per page, 1–100. The API's default is 20. */
  readonly limit?: number | undefined;
  /** `next_cursor` of the previous page. */
  readonly cursor?: string | undefined;
}

export interface WebhooksResource {
  /**
   * Registers a URL to be sent completion events (`export.succeeded`,
   * `export.failed`, `export.canceled`, `export.expired`) as signed POSTs.
   * Returns the endpoint with its signing `secret`, shown this once: store it
   * where your receiver reads it (verifyWebhookSignature).
   * ApiError `webhook_url_refused` (422, `problem.reason`) when the URL is not
   * allowed (https only, public addresses); `webhook_endpoint_limit_reached`
   * (409) at the per-user limit; 400 for an invalid body.
   */
  create(endpoint: NewWebhookEndpoint, options?: CallOptions): Promise<CreatedWebhookEndpoint>;
  /** All of your endpoints, oldest first: `{ items }` (without their secrets). */
  list(options?: CallOptions): Promise<WebhookEndpointList>;
  /** One endpoint. ApiError `webhook_endpoint_not_found` (404) for unknown ids and other users' endpoints. */
  get(id: string, options?: CallOptions): Promise<WebhookEndpoint>;
  /**
   * Changes an endpoint's `url`, `events`, `description` (null removes it) or
   * `enabled`; what you leave out stays. `enabled: true` turns a disabled
   * endpoint (one that failed for too long) back on.
   */
  update(id: string, changes: WebhookEndpointChanges, options?: CallOptions): Promise<WebhookEndpoint>;
  /** Deletes an endpoint: no more deliveries to it. ApiError `webhook_endpoint_not_found` (404). */
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * A new signing secret, returned this once. The old one keeps signing
   * beside it (a second v1 in the header) until `previous_secret_expires_at`,
   * so receivers can be switched over without losing a delivery.
   */
  rotateSecret(id: string, options?: CallOptions): Promise<CreatedWebhookEndpoint>;
  /** One page of an endpoint's deliveries, newest first, `next_cursor` when there is more. */
  deliveries(id: string, options?: ListDeliveriesOptions): Promise<WebhookDeliveryPage>;
  /** Every delivery of an endpoint, newest first, fetching pages as the loop goes: `for await (const d of client.webhooks.allDeliveries(id))`. */
  allDeliveries(id: string, options?: Omit<ListDeliveriesOptions, 'cursor'>): AsyncGenerator<WebhookDelivery, void, undefined>;
  /**
   * Sends a delivery again, with the same event (same id and body, newly
   * signed): the answer is the delivery, `pending` again. ApiError
   * `webhook_delivery_not_found` (404); `webhook_endpoint_disabled` (409):
   * enable the endpoint first.
   */
  resend(id: string, deliveryId: string, options?: CallOptions): Promise<WebhookDelivery>;
}

export function createWebhooksResource(ctx: ResourceContext): WebhooksResource {
  const { raw } = ctx;
  const byId = (id: string) => ({ path: { id } });

  const deliveries = async (id: string, options: ListDeliveriesOptions = {}): Promise<WebhookDeliveryPage> =>
    dataOf(
      await raw.GET('/v1/webhook-endpoints/{id}/deliveries', {
        params: { path: { id }, query: { limit: options.limit, cursor: options.cursor } },
        signal: options.signal,
      }),
    );

  return {
    async create(endpoint, options = {}) {
      return dataOf(await raw.POST('/v1/webhook-endpoints', { body: endpoint, signal: options.signal }));
    },

    async list(options = {}) {
      return dataOf(await raw.GET('/v1/webhook-endpoints', { signal: options.signal }));
    },

    async get(id, options = {}) {
      return dataOf(await raw.GET('/v1/webhook-endpoints/{id}', { params: byId(id), signal: options.signal }));
    },

    async update(id, changes, options = {}) {
      return dataOf(await raw.PATCH('/v1/webhook-endpoints/{id}', { params: byId(id), body: changes, signal: options.signal }));
    },

    async delete(id, options = {}) {
      ensureOk(await raw.DELETE('/v1/webhook-endpoints/{id}', { params: byId(id), signal: options.signal }));
    },

    async rotateSecret(id, options = {}) {
      return dataOf(await raw.POST('/v1/webhook-endpoints/{id}/rotate-secret', { params: byId(id), signal: options.signal }));
    },

    deliveries,

    async *allDeliveries(id, options = {}) {
      let cursor: string | undefined;
      do {
        const page = await deliveries(id, { ...options, cursor });
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },

    async resend(id, deliveryId, options = {}) {
      return dataOf(
        await raw.POST('/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend', {
          params: { path: { id, delivery_id: deliveryId } },
          signal: options.signal,
        }),
      );
    },
  };
}
