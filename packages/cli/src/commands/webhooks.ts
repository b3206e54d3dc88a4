import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { webhooksCreateCommand } from './webhooks-create.js';
import { webhooksDeleteCommand } from './webhooks-delete.js';
import { webhooksDeliveriesCommand } from './webhooks-deliveries.js';
import { webhooksDisableCommand, webhooksEnableCommand } from './webhooks-enabled.js';
import { webhooksListCommand } from './webhooks-list.js';
import { webhooksListenCommand } from './webhooks-listen.js';
import { webhooksResendCommand } from './webhooks-resend.js';
import { webhooksRotateSecretCommand } from './webhooks-rotate-secret.js';
import { webhooksShowCommand } from './webhooks-show.js';

export function webhooksCommand(ctx: CommandContext): Command {
  return new Command('webhooks')
    .alias('webhook')
    .description('Webhook endpoints: URLs sent a signed POST when one of your exports finishes.')
    .addCommand(webhooksCreateCommand(ctx))
    .addCommand(webhooksListCommand(ctx))
    .addCommand(webhooksShowCommand(ctx))
    .addCommand(webhooksDeliveriesCommand(ctx))
    .addCommand(webhooksResendCommand(ctx))
    .addCommand(webhooksRotateSecretCommand(ctx))
    .addCommand(webhooksEnableCommand(ctx))
    .addCommand(webhooksDisableCommand(ctx))
    .addCommand(webhooksDeleteCommand(ctx))
    .addCommand(webhooksListenCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks create --url https://hooks.example.com/memberships --events export.succeeded,export.failed
  $ memberships webhooks list
  $ memberships webhooks deliveries we_3f9c2e718b4d4a6e9d157c2b
  $ memberships webhooks listen --forward-to http://localhost:8080/webhooks

Every request carries a Memberships-Signature header: verify it with the SDK's verifyWebhookSignature.`,
    );
}
