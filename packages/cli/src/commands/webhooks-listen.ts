import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@memberships/core/contract';
import { ApiError, type MembershipsClient } from '@memberships/sdk';
import { Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { eventTypeList, integerBetween } from '../option-parsers.js';
import { signedInClient } from '../session.js';
import { eventLine } from '../webhook-format.js';
import { startWebhookListener, type ReceivedRequest } from '../webhook-listener.js';

interface ListenOptions {
  port: number;
  events?: WebhookEventType[];
  forwardTo?: URL;
  url?: string;
  json?: boolean;
}

/** How long deleting the temporary endpoint may take once the person asked to stop. */
const CLEANUP_TIMEOUT_MS = 10_000;

const httpUrl = (flag: string) => (value: string) => {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError(`${flag} must be an http:// or https:// URL, got "${value}".`);
};

export function webhooksListenCommand(ctx: CommandContext): Command {
  return new Command('listen')
    .description('Receive your webhook events on this machine: a temporary endpoint that prints each event as it arrives.')
    .option('--port <n>', 'port on 127.0.0.1 to listen on (0: any free one)', integerBetween(0, 65_535), 0)
    .option('--events <list>', `comma-separated event types (default: all, ${WEBHOOK_EVENT_TYPES.join(',')})`, eventTypeList)
    .option(
      '--forward-to <url>',
      'relay each request, body and signature unchanged, to your receiver and answer with its status',
      httpUrl('--forward-to'),
    )
    .option('--url <url>', 'register this public URL (a tunnel to --port) instead of http://127.0.0.1:<port>/')
    .option('--json', 'print each verified event as one line of JSON, nothing else, on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks listen
  $ memberships webhooks listen --events export.succeeded --forward-to http://localhost:8080/webhooks
  $ memberships webhooks listen --port 4242 --url https://abc123.tunnel.example   # a tunnel to 127.0.0.1:4242
  $ memberships webhooks listen --json | jq -r .data.object.id

It registers http://127.0.0.1:<port>/ as a webhook endpoint, which only the local platform (npm start)
accepts; the API in production takes https:// URLs on public addresses: run a tunnel to the port and
pass its URL with --url. Each request is checked with the endpoint's secret and printed as
  <time>  <event type>  <export id>  VERIFIED | UNVERIFIED (<why>)
and answered 200 (400 when not verified), or with the status of --forward-to.
Ctrl+C (or SIGTERM) deletes the temporary endpoint and exits 0. If the process is killed
outright, delete it yourself: memberships webhooks list, then memberships webhooks delete ID --yes`,
    )
    .action(async (options: ListenOptions) => {
      const client = await signedInClient(ctx);
      const { output } = ctx;
      const print = (received: ReceivedRequest): void => {
        if (options.json) {
          if (received.verified) output.result(JSON.stringify(received.event));
          else output.note(eventLine(received, output.err));
          return;
        }
        const forwarded = received.forwarded === undefined ? '' : `  -> ${received.forwarded}`;
        output.result(eventLine(received, output.out) + forwarded);
      };

      const listener = await startWebhookListener({ port: options.port, forwardTo: options.forwardTo, onRequest: print });
      const url = options.url ?? listener.url;
      const events = options.events ?? [...WEBHOOK_EVENT_TYPES];
      let endpointId: string;
      try {
        const endpoint = await register(client, ctx, url, events);
        endpointId = endpoint.id;
        listener.useSecrets([endpoint.secret]);
        output.note(`Listening on ${listener.url} for ${events.join(', ')}${options.url ? ` (registered as ${url})` : ''}.`);
        output.note(`Temporary endpoint ${endpoint.id}, deleted when you stop with Ctrl+C.`);
        output.note(
          `Signing secret ${endpoint.secret} (what your receiver verifies with${options.forwardTo ? `; requests go on to ${options.forwardTo.href}` : ''}).`,
        );
      } catch (error) {
        await listener.close();
        throw error;
      }

      await untilStopped(ctx);
      output.note('Stopping: deleting the temporary endpoint…');
      await listener.close();
      try {
        await client.webhooks.delete(endpointId, { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return;
        throw new CliError('cleanup_failed', `Could not delete the temporary endpoint ${endpointId}.`, {
          suggestion: `Delete it with: memberships webhooks delete ${endpointId} --yes`,
          cause: error,
        });
      }
      output.note(`Deleted endpoint ${endpointId}.`);
    });
}

async function register(client: MembershipsClient, ctx: CommandContext, url: string, events: WebhookEventType[]) {
  try {
    return await client.webhooks.create({ url, events, description: 'memberships webhooks listen (temporary)' }, { signal: ctx.signal });
  } catch (error) {
    if (error instanceof ApiError && error.code === 'webhook_url_refused') {
      throw new CliError('webhook_url_refused', `The API refused ${url} as a webhook URL: ${error.message}`, {
        suggestion:
          `${ctx.apiUrl} takes only https:// URLs on public addresses, so a listener on 127.0.0.1 works against the local platform (npm start). ` +
          'Elsewhere, run a tunnel to the port and register its URL: memberships webhooks listen --port 4242 --url https://<your tunnel>',
        cause: error,
      });
    }
    throw error;
  }
}

/** Resolves on the first Ctrl+C or SIGTERM, which stop listening rather than abort: the endpoint is deleted afterwards. */
function untilStopped(ctx: CommandContext): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      release();
      process.off('SIGTERM', stop);
      resolve();
    };
    const release = ctx.interrupts.intercept(stop);
    process.on('SIGTERM', stop);
  });
}
