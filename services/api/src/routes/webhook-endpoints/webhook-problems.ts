import type { EndpointRefusal } from '@memberships/core/webhooks';
import { HttpProblem } from '../../errors';

/**
 * The problems only the webhook endpoint routes answer, kept beside them.
 * An endpoint of another user is "not found", like a missing one.
 */
export class WebhookEndpointNotFoundProblem extends HttpProblem {
  constructor(id: string) {
    super(404, 'webhook_endpoint_not_found', 'Webhook endpoint not found', `There is no webhook endpoint ${id} for this account.`);
  }
}

export class WebhookDeliveryNotFoundProblem extends HttpProblem {
  constructor(id: string) {
    super(404, 'webhook_delivery_not_found', 'Webhook delivery not found', `There is no delivery ${id} of this webhook endpoint.`);
  }
}

export class WebhookEndpointLimitProblem extends HttpProblem {
  constructor(limit: number) {
    super(
      409,
      'webhook_endpoint_limit_reached',
      'Webhook endpoint limit reached',
      `An account can have at most ${limit} webhook endpoints; delete one to create another.`,
      { extensions: { limit } },
    );
  }
}

/** A re-send to an endpoint that is not sent anything: enable it first. */
export class WebhookEndpointDisabledProblem extends HttpProblem {
  constructor(id: string) {
    super(
      409,
      'webhook_endpoint_disabled',
      'Webhook endpoint disabled',
      `Webhook endpoint ${id} is disabled; enable it (PATCH {"enabled": true}) before re-sending a delivery.`,
    );
  }
}

/**
 * The URL is one the platform does not send to (core's EndpointAddressPolicy).
 * The problem's `code` is the problem type's, as for every problem, so the
 * refusal's own code (`scheme_not_allowed`, `address_refused`...) is
 * `reason`, and its explanation is `detail`. 422: the body is well-formed,
 * its URL is not acceptable.
 */
export class WebhookUrlRefusedProblem extends HttpProblem {
  constructor(refusal: EndpointRefusal) {
    super(422, 'webhook_url_refused', 'Webhook URL refused', `The URL is not allowed: ${refusal.reason}.`, {
      extensions: { reason: refusal.code },
    });
  }
}

/** The re-send's message did not reach the webhook queue; the delivery waits for its next automatic attempt, if any. Safe to retry. */
export class WebhookQueueUnavailableProblem extends HttpProblem {
  constructor(cause: unknown) {
    super(503, 'webhook_queue_unavailable', 'Re-send not queued', 'The delivery could not be queued again. Retry in a moment.', {
      headers: { 'retry-after': '5' },
      cause,
    });
  }
}
