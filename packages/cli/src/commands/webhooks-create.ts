import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@memberships/core/contract';
import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { eventTypeList } from '../option-parsers.js';
import { signedInClient } from '../session.js';
import { describeEndpoint } from '../webhook-format.js';

interface CreateOptions {
  url: string;
  events?: WebhookEventType[];
  description?: string;
  json?: boolean;
}

export function webhooksCreateCommand(ctx: CommandContext): Command {
  return new Command('create')
    .description('Register a URL that is sent a signed POST whenever one of your exports finishes. Prints its signing secret once.')
    .requiredOption('--url <url>', 'where to send the events: https:// on a public address (http://127.0.0.1 on the local platform)')
    .option('--events <list>', `comma-separated event types (default: all, ${WEBHOOK_EVENT_TYPES.join(',')})`, eventTypeList)
    .option('--description <text>', 'a note of your own on what the endpoint is for (up to 200 characters)')
    .option('--json', 'print the new endpoint as JSON, its secret included')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks create --url https://hooks.example.com/memberships
  $ memberships webhooks create --url https://hooks.example.com/memberships --events export.succeeded,export.failed
  $ memberships webhooks create --url https://hooks.example.com/memberships --json | jq -r .secret

The secret (whsec_…) is shown only now: store it where your receiver reads it, and
check every request with it (the SDK's verifyWebhookSignature). Lost it? memberships webhooks rotate-secret ID`,
    )
    .action(async (options: CreateOptions) => {
      const client = await signedInClient(ctx);
      const endpoint = await client.webhooks.create(
        {
          url: options.url,
          events: options.events ?? [...WEBHOOK_EVENT_TYPES],
          ...(options.description === undefined ? {} : { description: options.description }),
        },
        { signal: ctx.signal },
      );
      if (options.json) {
        ctx.output.json(endpoint);
        return;
      }
      for (const line of describeEndpoint(endpoint, ctx.output.out)) ctx.output.result(line);
      ctx.output.result(`Secret    ${endpoint.secret}`);
      ctx.output.note(
        `${ctx.output.err.yellow('!')} The secret is shown only now: store it where your receiver verifies the Memberships-Signature header.`,
      );
    });
}
