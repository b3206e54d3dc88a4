import type { WebhookDelivery, WebhookEndpoint, WebhookEvent } from '@memberships/sdk';
import { columns, formatTime } from './format.js';
import type { Style } from './output.js';

/** How `memberships webhooks …` shows endpoints, deliveries and received events. */

export function styleEndpointStatus(status: WebhookEndpoint['status'], style: Style): string {
  return status === 'enabled' ? style.green(status) : style.red(status);
}

export function describeEndpoint(endpoint: WebhookEndpoint, style: Style): string[] {
  const lines = [
    `Endpoint  ${endpoint.id}`,
    `URL       ${endpoint.url}`,
    `Events    ${endpoint.events.join(', ')}`,
    `Status    ${styleEndpointStatus(endpoint.status, style)}${endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ''}`,
  ];
  if (endpoint.description) lines.push(`About     ${endpoint.description}`);
  if (endpoint.failing_since) lines.push(`Failing   since ${formatTime(endpoint.failing_since)}`);
  if (endpoint.previous_secret_expires_at) lines.push(`Old key   still signs until ${formatTime(endpoint.previous_secret_expires_at)}`);
  lines.push(`Created   ${formatTime(endpoint.created_at)}`);
  return lines;
}

export function endpointTable(endpoints: readonly WebhookEndpoint[], style: Style): string[] {
  const header = ['ID', 'STATUS', 'EVENTS', 'URL'];
  const rows = endpoints.map((endpoint) => [endpoint.id, endpoint.status, endpoint.events.join(','), endpoint.url]);
  return columns(header, rows, style, (cell, column, row) =>
    column === 1 ? styleEndpointStatus(endpoints[row]?.status ?? 'enabled', style) : cell,
  );
}

/** The latest attempt in a few words: `200 in 42 ms`, `timeout after 5000 ms`, `-` before the first. */
export function describeLastAttempt(delivery: WebhookDelivery): string {
  const last = delivery.attempts.at(-1);
  if (!last) return '-';
  const answer = last.response_status === null ? (last.error ?? 'no answer') : String(last.response_status);
  return `${answer} in ${last.duration_ms} ms${last.trigger === 'manual' ? ' (resent)' : ''}`;
}

export function deliveryTable(deliveries: readonly WebhookDelivery[], style: Style): string[] {
  const header = ['ID', 'EVENT', 'JOB', 'STATUS', 'ATTEMPTS', 'LAST ATTEMPT', 'CREATED'];
  const rows = deliveries.map((delivery) => [
    delivery.id,
    delivery.event_type,
    delivery.job_id,
    delivery.status,
    String(delivery.attempt_count),
    describeLastAttempt(delivery),
    formatTime(delivery.created_at),
  ]);
  return columns(header, rows, style, (cell, column, row) => {
    if (column !== 3) return cell;
    const status = deliveries[row]?.status;
    return status === 'succeeded' ? style.green(cell) : status === 'failed' ? style.red(cell) : style.yellow(cell);
  });
}

/**
 * One received event on one line, as `webhooks listen` prints it:
 * `2026-03-01T06:00:05.000Z  export.succeeded  <job id>  VERIFIED`.
 * The time is the listener's clock when it arrived.
 */
export function eventLine(
  received: { at: Date; verified: boolean; event?: Partial<WebhookEvent> | undefined; problem?: string | undefined },
  style: Style,
): string {
  const type = typeof received.event?.type === 'string' ? received.event.type : '?';
  const job = typeof received.event?.data?.object?.id === 'string' ? received.event.data.object.id : '?';
  const verdict = received.verified ? style.green('VERIFIED') : style.red('UNVERIFIED');
  return [received.at.toISOString(), type, job, verdict + (received.problem ? ` (${received.problem})` : '')].join('  ');
}
