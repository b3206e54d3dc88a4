import { WEBHOOK_DELIVERY } from '@memberships/core/contract';
import { InvalidCursorError } from '@memberships/core/dynamodb';
import {
  EndpointAddressPolicy,
  WebhookDeliveryNotFoundError,
  WebhookEndpointLimitError,
  WebhookEndpointNotFoundError,
} from '@memberships/core/webhooks';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { InvalidCursorProblem } from '../../errors';
import { endpointPath, toDeliveryResource, toEndpointResource, toEndpointWithSecret } from './endpoint-resource';
import {
  createEndpointSchema,
  deleteEndpointSchema,
  getEndpointSchema,
  listDeliveriesSchema,
  listEndpointsSchema,
  resendDeliverySchema,
  rotateSecretSchema,
  updateEndpointSchema,
  type CreateEndpointBody,
  type DeliveryIdParams,
  type EndpointIdParams,
  type ListDeliveriesQuery,
  type UpdateEndpointBody,
} from './schemas';
import {
  WebhookDeliveryNotFoundProblem,
  WebhookEndpointDisabledProblem,
  WebhookEndpointLimitProblem,
  WebhookEndpointNotFoundProblem,
  WebhookQueueUnavailableProblem,
  WebhookUrlRefusedProblem,
} from './webhook-problems';

/**
 * Webhook endpoints: `/v1/webhook-endpoints/*`. Every route acts only on the
 * caller's own endpoints; another user's is "not found".
 *
 * A URL is checked when it is given (create, and a PATCH of `url`) against
 * core's EndpointAddressPolicy, DNS included, so a user learns at once that
 * a URL will never be sent to. The worker checks it again before every
 * attempt (a name can resolve elsewhere later) and connects to the address
 * it checked.
 */
const webhookEndpointRoutes: FastifyPluginAsync = async (app) => {
  const read = { config: { access: 'webhooks:read' as const } };
  const write = { config: { access: 'webhooks:write' as const } };
  const policy = new EndpointAddressPolicy({
    allowLoopbackHttp: app.config.webhooks.allowLoopbackHttp,
    dnsServers: app.config.webhooks.dnsServers,
  });
  const now = () => app.clock.now();

  /** The URL as the policy accepted it (normalised by `new URL`); 422 when it refuses it. */
  const acceptedUrl = async (raw: string): Promise<string> => {
    const check = await policy.check(raw);
    if (!check.ok) throw new WebhookUrlRefusedProblem(check);
    return check.url.href;
  };

  app.post<{ Body: CreateEndpointBody }>('', { schema: createEndpointSchema, ...write }, async (request, reply) => {
    const { url, events, description } = request.body;
    const accepted = await acceptedUrl(url);
    const endpoint = await storeCall(() =>
      app.webhookStore.createEndpoint({ userId: request.user.userId, url: accepted, events, description }),
    );
    request.log.info({ endpointId: endpoint.id, events: endpoint.events, host: new URL(accepted).host }, 'webhook endpoint created');
    return reply.code(201).header('location', endpointPath(endpoint.id)).send(toEndpointWithSecret(endpoint, now()));
  });

  app.get('', { schema: listEndpointsSchema, ...read }, async (request) => {
    const endpoints = await app.webhookStore.listEndpoints(request.user.userId);
    return { items: endpoints.map((endpoint) => toEndpointResource(endpoint, now())) };
  });

  app.get<{ Params: EndpointIdParams }>('/:id', { schema: getEndpointSchema, ...read }, async (request) =>
    toEndpointResource(await ownEndpoint(app, request.user.userId, request.params.id), now()),
  );

  app.patch<{ Params: EndpointIdParams; Body: UpdateEndpointBody | undefined }>(
    '/:id',
    { schema: updateEndpointSchema, ...write },
    async (request) => {
      const { id } = request.params;
      const body = request.body ?? {};
      // Not found before refused: another user's id says nothing about a URL.
      await ownEndpoint(app, request.user.userId, id);
      const url = body.url === undefined ? undefined : await acceptedUrl(body.url);
      const changed = await storeCall(() =>
        app.webhookStore.updateEndpoint(request.user.userId, id, {
          url,
          events: body.events,
          description: body.description,
          enabled: body.enabled,
        }),
      );
      request.log.info({ endpointId: id, status: changed.status, urlChanged: url !== undefined }, 'webhook endpoint changed');
      return toEndpointResource(changed, now());
    },
  );

  app.delete<{ Params: EndpointIdParams }>('/:id', { schema: deleteEndpointSchema, ...write }, async (request, reply) => {
    await storeCall(() => app.webhookStore.deleteEndpoint(request.user.userId, request.params.id));
    request.log.info({ endpointId: request.params.id }, 'webhook endpoint deleted');
    return reply.code(204).send();
  });

  app.post<{ Params: EndpointIdParams }>('/:id/rotate-secret', { schema: rotateSecretSchema, ...write }, async (request) => {
    const rotated = await storeCall(() => app.webhookStore.rotateSecret(request.user.userId, request.params.id));
    request.log.info({ endpointId: rotated.id, previousSecretExpiresAt: rotated.previousSecretExpiresAt }, 'webhook secret rotated');
    return toEndpointWithSecret(rotated, now());
  });

  app.get<{ Params: EndpointIdParams; Querystring: ListDeliveriesQuery }>(
    '/:id/deliveries',
    { schema: listDeliveriesSchema, ...read },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await storeCall(() => app.webhookStore.listDeliveries(request.user.userId, request.params.id, { limit, cursor }));
      return { items: page.items.map(toDeliveryResource), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) };
    },
  );

  app.post<{ Params: DeliveryIdParams }>(
    '/:id/deliveries/:delivery_id/resend',
    { schema: resendDeliverySchema, ...write },
    async (request, reply) => {
      const { id, delivery_id: deliveryId } = request.params;
      const userId = request.user.userId;
      const endpoint = await ownEndpoint(app, userId, id);
      if (endpoint.status === 'disabled') throw new WebhookEndpointDisabledProblem(id);
      const delivery = await storeCall(() => app.webhookStore.markForResend(userId, id, deliveryId));
      try {
        await app.webhookQueue.send({ type: WEBHOOK_DELIVERY, version: 1, deliveryId, endpointId: id, userId, trigger: 'manual' });
      } catch (error) {
        throw new WebhookQueueUnavailableProblem(error);
      }
      request.log.info({ endpointId: id, deliveryId, eventId: delivery.eventId }, 'webhook delivery queued again');
      return reply.code(202).send(toDeliveryResource(delivery));
    },
  );
};

export default webhookEndpointRoutes;

async function ownEndpoint(app: FastifyInstance, userId: string, id: string) {
  const endpoint = await app.webhookStore.getEndpoint(userId, id);
  if (!endpoint) throw new WebhookEndpointNotFoundProblem(id);
  return endpoint;
}

/** Turns the store's domain errors into the API's problems. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WebhookEndpointNotFoundError) throw new WebhookEndpointNotFoundProblem(error.id);
    if (error instanceof WebhookDeliveryNotFoundError) throw new WebhookDeliveryNotFoundProblem(error.id);
    if (error instanceof WebhookEndpointLimitError) throw new WebhookEndpointLimitProblem(error.limit);
    if (error instanceof InvalidCursorError) throw new InvalidCursorProblem();
    throw error;
  }
}
