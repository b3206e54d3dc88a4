import type { WebhookEndpoint } from '@memberships/core/contract';
import type { UserStore } from '@memberships/core/dynamodb';
import type { Logger } from 'pino';
import { renderBody, type Block } from './email-body';
import { describe } from './errors';
import type { ExportMailer } from './mailer';
import type { RenderedNotice } from './failure-notice';

/**
 * The email an owner gets when one of their webhook endpoints is disabled
 * for failing too long: which URL, failing since when, that events are no
 * longer sent to it (they still reach the app, the API and EventBridge), and
 * how to turn it on again. Sent by the one lane whose disableEndpoint write
 * won (WebhookStore.disableEndpoint is conditional on the endpoint being
 * enabled), so at most once per disabling. Best effort, like the export
 * failure notice: a send that fails is logged, never retried (SES may have
 * taken it).
 */

export const ENDPOINT_DISABLED_KIND = 'webhook-endpoint-disabled';

const WHEN = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

export function renderEndpointDisabledNotice(endpoint: Pick<WebhookEndpoint, 'id' | 'url'>, failingSince: string): RenderedNotice {
  const since = WHEN.format(new Date(failingSince));
  const blocks: Block[] = [
    { paragraph: ['Hello,'] },
    {
      paragraph: [
        'we have stopped sending export events to your webhook endpoint ',
        { strong: endpoint.url },
        `: every delivery to it has failed since ${since}.`,
      ],
    },
    {
      paragraph: [
        'Your exports are not affected: their state is still in the app, the API and the CLI. ',
        'Once the endpoint answers again, turn it back on with ',
        { strong: `memberships webhooks enable ${endpoint.id}` },
        ` or PATCH /v1/webhook-endpoints/${endpoint.id} with {"enabled": true}. `,
        'Deliveries that failed meanwhile can be sent again with memberships webhooks resend.',
      ],
    },
    { facts: [`Endpoint: ${endpoint.id}`, `URL: ${endpoint.url}`, `Failing since: ${failingSince}`] },
  ];
  return { subject: 'Your memberships webhook endpoint was disabled', ...renderBody(blocks) };
}

export interface EndpointDisabledNotifierDependencies {
  readonly users: Pick<UserStore, 'get'>;
  readonly mailer: Pick<ExportMailer, 'sendNotice'>;
}

export class EndpointDisabledNotifier {
  constructor(private readonly deps: EndpointDisabledNotifierDependencies) {}

  /** Emails the endpoint's owner; never throws. Resolves whether SES took the email. */
  async notify(log: Logger, endpoint: WebhookEndpoint, failingSince: string): Promise<boolean> {
    try {
      const to = (await this.deps.users.get(endpoint.userId))?.email;
      if (!to) {
        log.warn({ noticeCode: 'endpoint_notice_user_not_found' }, 'the endpoint’s owner does not exist; no notice sent');
        return false;
      }
      const sent = await this.deps.mailer.sendNotice({
        to,
        ...renderEndpointDisabledNotice(endpoint, failingSince),
        kind: ENDPOINT_DISABLED_KIND,
      });
      log.info({ noticeCode: 'endpoint_notice_sent', sesMessageId: sent.messageId }, 'endpoint disabled; its owner was emailed');
      return true;
    } catch (error) {
      log.warn({ noticeCode: 'endpoint_notice_failed', detail: describe(error) }, 'endpoint disabled; the notice to its owner failed');
      return false;
    }
  }
}
