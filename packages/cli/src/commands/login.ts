import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { loginClient } from '../session.js';
import { passwordFromStdin, readAll } from '../stdin.js';

interface LoginOptions {
  email?: string;
  passwordStdin?: boolean;
}

export function loginCommand(ctx: CommandContext): Command {
  return new Command('login')
    .description('Sign in and store your session in the config directory (owner-only permissions).')
    .option('--email <email>', 'your account email (asked for when omitted on a terminal)')
    .option('--password-stdin', 'read the password from stdin, e.g. from a secret store')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships login
  $ memberships login --email ann@example.com
  $ printf '%s' "$PASSWORD" | memberships login --email ann@example.com --password-stdin
  $ memberships login --api-url https://api.memberships.example   # also remembered for later commands

Prompts appear only when stdin is a terminal; in scripts pass --email and --password-stdin.
The session is stored in ${ctx.store.credentialsPath}.`,
    )
    .action(async (options: LoginOptions) => {
      const interactive = Boolean(ctx.output.streams.stdin.isTTY) && !options.passwordStdin;
      // Loaded only when a person is there to answer: keeps every other command quick to start.
      const prompts = interactive ? await import('@inquirer/prompts') : undefined;
      const promptContext = { input: ctx.output.streams.stdin, output: ctx.output.streams.stderr, signal: ctx.signal };

      let email = options.email?.trim();
      if (!email) {
        if (!prompts) {
          throw new UsageError(
            'No email given, and stdin is not a terminal to ask for it.',
            'Pass --email you@example.com (and --password-stdin to read the password from stdin).',
          );
        }
        email = (
          await prompts.input({ message: 'Email', validate: (value) => value.trim() !== '' || 'Enter your email' }, promptContext)
        ).trim();
      }

      let password: string;
      if (options.passwordStdin) {
        password = passwordFromStdin(await readAll(ctx.output.streams.stdin, ctx.signal));
        if (!password)
          throw new UsageError(
            '--password-stdin was given but stdin was empty.',
            'Pipe the password in: printf \'%s\' "$PASSWORD" | memberships login ...',
          );
      } else if (prompts) {
        password = await prompts.password(
          { message: 'Password', mask: '*', validate: (value) => value !== '' || 'Enter your password' },
          promptContext,
        );
      } else {
        throw new UsageError(
          'No password given, and stdin is not a terminal to ask for it.',
          'Pipe it in: printf \'%s\' "$PASSWORD" | memberships login --email you@example.com --password-stdin',
        );
      }

      const client = loginClient(ctx, email);
      await client.auth.login({ email, password });
      if (ctx.apiUrlSource === 'flag') await ctx.store.writeSettings({ apiUrl: ctx.apiUrl });
      ctx.output.note(`${ctx.output.err.green('✓')} Logged in to ${ctx.apiUrl} as ${email}.`);
    });
}
