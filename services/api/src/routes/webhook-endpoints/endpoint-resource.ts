import type { DeliveryAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventType } from '@memberships/core/contract';

/** The public JSON of a webhook endpoint; see schemas/webhook-endpoint.ts. Never its secrets. */
export interface WebhookEndpointResource {
  readonly id: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
  readonly status: 'enabled' | 'disabled';
  readonly disabled_at?: string;
  readonly disabled_reason?: string;
  readonly failing_since?: string;
  readonly previous_secret_expires_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly links: { readonly self: string; readonly deliveries: string };
}

/** The answer of create and rotate-secret: the only two that show the secret. */
export interface WebhookEndpointWithSecretResource extends WebhookEndpointResource {
  readonly secret: string;
}

export interface WebhookDeliveryResource {
  readonly id: string;
  readonly event_id: string;
  readonly event_type: WebhookEventType;
  readonly job_id: string;
  readonly status: 'pending' | 'succeeded' | 'failed';
  readonly attempt_count: number;
  readonly attempts: readonly {
    readonly at: string;
    readonly response_status: number | null;
    readonly duration_ms: number;
    readonly error?: string;
    readonly trigger: 'automatic' | 'manual';
  }[];
  readonly next_retry_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export const WEBHOOK_ENDPOINTS_PATH = '/v1/webhook-endpoints';

export function endpointPath(id: string): string {
  return `${WEBHOOK_ENDPOINTS_PATH}/${encodeURIComponent(id)}`;
}

/**
 * Maps the stored endpoint to its public shape, field by field: the owner,
 * the secret and the previous secret never leave the API this way. The
 * previous secret's expiry is shown only while it still signs.
 */
export function toEndpointResource(endpoint: WebhookEndpoint, now: Date): WebhookEndpointResource {
  const previousValid = endpoint.previousSecretExpiresAt !== undefined && Date.parse(endpoint.previousSecretExpiresAt) > now.getTime();
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: [...endpoint.events],
    ...(endpoint.description !== undefined ? { description: endpoint.description } : {}),
    status: endpoint.status,
    ...(endpoint.disabledAt ? { disabled_at: endpoint.disabledAt } : {}),
    ...(endpoint.disabledReason ? { disabled_reason: endpoint.disabledReason } : {}),
    ...(endpoint.failingSince ? { failing_since: endpoint.failingSince } : {}),
    ...(previousValid ? { previous_secret_expires_at: endpoint.previousSecretExpiresAt } : {}),
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
    links: { self: endpointPath(endpoint.id), deliveries: `${endpointPath(endpoint.id)}/deliveries` },
  };
}

export function toEndpointWithSecret(endpoint: WebhookEndpoint, now: Date): WebhookEndpointWithSecretResource {
  return { ...toEndpointResource(endpoint, now), secret: endpoint.secret };
}

/** The delivery without its payload (the receiver got it; the job is at links of its own) or owner. */
export function toDeliveryResource(delivery: WebhookDelivery): WebhookDeliveryResource {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    job_id: delivery.jobId,
    status: delivery.status,
    attempt_count: delivery.attemptCount,
    attempts: delivery.attempts.map(toAttemptResource),
    ...(delivery.nextRetryAt ? { next_retry_at: delivery.nextRetryAt } : {}),
    created_at: delivery.createdAt,
    updated_at: delivery.updatedAt,
  };
}

function toAttemptResource(attempt: DeliveryAttempt): WebhookDeliveryResource['attempts'][number] {
  return {
    at: attempt.at,
    response_status: attempt.responseStatus,
    duration_ms: attempt.durationMs,
    ...(attempt.error ? { error: attempt.error } : {}),
    trigger: attempt.trigger,
  };
}
