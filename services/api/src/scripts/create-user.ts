import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { checkEmail, checkPasswordPolicy, DEFAULT_SCOPES, DomainError, SCOPES, type Scope } from '@memberships/core/contract';
import { clientOptions } from '@memberships/core/config';
import { UserStore } from '@memberships/core/dynamodb';
import { parseArgs } from 'node:util';
import { loadUserAdminConfig } from '../config';
import { toUserResource } from '../routes/users/user-resource';

/**
 * Creates a user directly in DynamoDB — how the first administrator comes to
 * exist (after that, `POST /v1/admin/users` creates users). The password is
 * read from stdin, never from an argument (arguments show in `ps` and shell
 * history). Prints the user as JSON (no hash).
 *
 *   printf '%s' "$ADMIN_PASSWORD" | node services/api/dist/scripts/create-user.js \
 *     --email admin@example.com --password-stdin --scopes users:admin,exports:read,exports:write
 *
 * Environment: AWS_REGION, USERS_TABLE, AWS_ENDPOINT_URL_DYNAMODB (optional).
 * Exit codes: 0 created, 1 refused (email taken, weak password...) or failed, 2 usage.
 */

const USAGE = `Usage: create-user --email <address> --password-stdin [--scopes <scope,scope...>] [--profile <json>]

  --email           the account's email address (unique, case-insensitive)
  --password-stdin  read the password from stdin (${'`'}printf '%s' "$PASSWORD" | create-user ...${'`'})
  --scopes          comma-separated, of: ${SCOPES.join(', ')}
                    (default: ${DEFAULT_SCOPES.join(',')}); the first admin needs users:admin
  --profile         profile document as a JSON object, e.g. '{"displayName":"Operations"}'

Environment: AWS_REGION, USERS_TABLE, AWS_ENDPOINT_URL_DYNAMODB (optional, for local emulators).`;

class UsageError extends DomainError {
  constructor(message: string) {
    super('usage', message);
  }
}

interface Arguments {
  readonly email: string;
  readonly scopes: readonly Scope[];
  readonly profile: Record<string, unknown>;
}

function parseArguments(argv: string[]): Arguments {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        email: { type: 'string' },
        'password-stdin': { type: 'boolean', default: false },
        scopes: { type: 'string' },
        profile: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.email) throw new UsageError('--email is required');
  if (!values['password-stdin']) throw new UsageError('--password-stdin is required: pipe the password on stdin');
  return { email: values.email, scopes: parseScopes(values.scopes), profile: parseProfile(values.profile) };
}

function parseScopes(raw: string | undefined): readonly Scope[] {
  if (raw === undefined) return DEFAULT_SCOPES;
  const scopes = [
    ...new Set(
      raw
        .split(',')
        .map((scope) => scope.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) throw new UsageError(`unknown scope(s): ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

function parseProfile(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError('--profile must be a JSON object');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError('--profile must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** All of stdin, without the one line break `echo` or a here-string adds. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('--password-stdin reads a pipe, not a terminal: printf \'%s\' "$PASSWORD" | create-user ...');
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk as string;
  return input.replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const config = loadUserAdminConfig();
  const password = await readPassword();
  checkEmail(args.email);
  checkPasswordPolicy(password);

  const client = new DynamoDBClient(clientOptions(config.aws, 'dynamodb'));
  try {
    const user = await new UserStore({ client, table: config.usersTable }).create({
      email: args.email,
      password,
      scopes: args.scopes,
      profile: args.profile,
    });
    process.stdout.write(`${JSON.stringify(toUserResource(user), null, 2)}\n`);
  } finally {
    client.destroy();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  // Named errors (email_taken, password_policy, invalid_email, config_invalid) say what to fix.
  if (error instanceof DomainError) {
    process.stderr.write(`error [${error.code}]: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`error: could not create the user: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
