/**
 * `npm start`: the whole platform on this machine, against local stand-ins.
 *
 * Starts DynamoDB Local, fauxqs (SQS + S3), aws-ses-v2-local, the Secrets
 * Manager, Scheduler and EventBridge stand-ins and the IAM gate in front of them on fixed
 * loopback ports, PostgreSQL (DATABASE_URL, else an embedded server whose data
 * lives in .local/postgres), provisions the `local-*` resources, migrates the
 * database, makes sure the demo user and their memberships exist, then runs
 * the API and the worker with a fresh ES256 key pair and prints how to use
 * them. Ctrl+C (or SIGTERM) stops the worker, the API, the emulators and
 * PostgreSQL in that order and exits 0. Settings: see environment.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resourceNames } from '@memberships/core/contract';
import { Client } from 'pg';
import { DEMO_EMAIL, DEMO_PASSWORD, ensureDemoData } from './demo-data';
import { startSettings, type StartSettings } from './environment';
import { LocalPlatformError } from './errors';
import { findFreePort } from './free-port';
import { startLocalAws, stopAll, type LocalAws } from './local-aws';
import { REPO_ROOT } from './package-paths';
import { migrateLocalDatabase, redactUrl, startPostgres, withDatabase, type RunningPostgres } from './postgres';
import { ensureExpirySweepSchedule, ensureLinkSigningSecret, provisionResources, type ProvisionedQueues } from './provision';
import { LOCAL_SCHEDULER_ROLE_ARN, serviceEnv, spawnService, type RunningService } from './services';

const RESOURCE_PREFIX = 'local';
const LOCAL_DATABASE = 'memberships';
const SES_FROM_ADDRESS = 'exports@memberships.local';
/** Service output is forwarded as it comes; only this much is kept (for error messages) in a long session. */
const KEEP_LINES = 500;
const DUPLICATE_SIGNAL_MS = 1000;
const API_ENTRY = path.join(REPO_ROOT, 'services', 'api', 'dist', 'server.js');
const WORKER_ENTRY = path.join(REPO_ROOT, 'services', 'worker', 'dist', 'main.js');

interface Platform {
  aws?: LocalAws;
  postgres?: RunningPostgres;
  api?: RunningService;
  worker?: RunningService;
}

function say(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  const settings = startSettings();
  const platform: Platform = {};
  let shuttingDown = false;

  const shutdown = async (reason: string, exitCode: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    say(`\n${reason}: stopping the worker, the API, the emulators and PostgreSQL...`);
    const problems: unknown[] = [];
    // Worker first: it finishes or releases the export in hand while the rest is still up.
    for (const service of [platform.worker, platform.api]) {
      if (service) await service.stop('SIGTERM', 30_000).catch((error: unknown) => problems.push(error));
    }
    await stopAll([platform.aws, platform.postgres].filter((item) => item !== undefined)).catch((error: unknown) => problems.push(error));
    for (const problem of problems) process.stderr.write(`${problem instanceof Error ? problem.message : String(problem)}\n`);
    say(problems.length === 0 ? 'Stopped.' : 'Stopped, with the problems above.');
    process.exit(problems.length === 0 ? exitCode : 1);
  };
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!shuttingDown) {
      firstSignalAt = Date.now();
      void shutdown(`Received ${signal}`, 0);
      return;
    }
    // A second Ctrl+C while stopping: stop waiting. The children also notice our exit (parent
    // watch) and go. One Ctrl+C can arrive twice (from the terminal and forwarded by npm), and
    // tools like `timeout` deliver SIGTERM twice: only a later SIGINT counts.
    if (signal !== 'SIGINT' || Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
    say('Second Ctrl+C: killing everything.');
    void Promise.allSettled([platform.worker?.kill(), platform.api?.kill()]).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The terminal went away.
  process.on('SIGHUP', onSignal);

  try {
    await startPlatform(settings, platform, () => shuttingDown);
  } catch (error) {
    process.stderr.write(`\nCannot start the local platform: ${error instanceof Error ? error.message : String(error)}\n`);
    await shutdown('Start failed', 1);
    return;
  }
  for (const service of [platform.api, platform.worker]) {
    void service?.exited.then((info) => {
      if (!shuttingDown) void shutdown(`The ${service.name} exited unexpectedly (${info.signal ?? `code ${info.code}`})`, 1);
    });
  }
}

async function startPlatform(settings: StartSettings, platform: Platform, stopped: () => boolean): Promise<void> {
  const localDir = settings.localDataDir ?? path.join(REPO_ROOT, '.local');
  for (const [entry, workspace] of [
    [API_ENTRY, 'services/api'],
    [WORKER_ENTRY, 'services/worker'],
  ] as const) {
    if (!existsSync(entry))
      throw new LocalPlatformError(
        'file_missing',
        `${entry} is missing: build first (\`npm start\` runs \`npm run build\`; ${workspace} must build).`,
      );
  }

  // process.execPath is the pinned `node` devDependency under `npm start`; every Node child below runs on it.
  say(`Node.js ${process.version} runs the API, the worker and the Node emulators.`);
  say(
    'Starting DynamoDB Local, fauxqs (SQS + S3), aws-ses-v2-local, the Secrets Manager, Scheduler and EventBridge stand-ins, the IAM gate and PostgreSQL...',
  );
  const debug = settings.logLevel === 'debug' || settings.logLevel === 'trace';
  const [aws, postgres] = await Promise.allSettled([
    startLocalAws({
      ports: settings.ports,
      onLine: debug ? (emulator, line) => say(`[${emulator}] ${line}`) : undefined,
      // Every AWS call of the services is held to its role's policy as infra/terraform synthesizes it.
      iamGate: {
        emailDomain: SES_FROM_ADDRESS.slice(SES_FROM_ADDRESS.indexOf('@') + 1),
        port: settings.ports.iamGate,
        onDenial: (denial) => say(`[iam-gate] denied ${denial.identity} ${denial.operation}: ${denial.reason}`),
      },
    }),
    startPostgres({
      url: settings.databaseUrl ?? null,
      dataDir: path.join(localDir, 'postgres'),
      port: settings.ports.postgres,
      onLine: debug ? (line) => say(`[postgres] ${line}`) : undefined,
    }),
  ]);
  if (aws.status === 'fulfilled') platform.aws = aws.value;
  if (postgres.status === 'fulfilled') platform.postgres = postgres.value;
  if (aws.status === 'rejected') throw withPortHint(aws.reason);
  if (postgres.status === 'rejected') throw withPortHint(postgres.reason);
  const awsValue = aws.value;

  const names = resourceNames(RESOURCE_PREFIX);
  const [queueUrls, linkSigningSecretArn] = await Promise.all([
    provisionResources(awsValue, names),
    // The stand-in is in memory: every start signs links with a fresh key (earlier emailed links stop working).
    ensureLinkSigningSecret(awsValue, RESOURCE_PREFIX),
  ]);
  // The hourly expiry sweep, as Terraform deploys it: export.expired reaches endpoints within the hour.
  await ensureExpirySweepSchedule(awsValue, names, queueUrls, LOCAL_SCHEDULER_ROLE_ARN);
  // An embedded server gets its own database; a DATABASE_URL is used as given.
  const databaseUrl = postgres.value.external ? postgres.value.url : await ensureDatabase(postgres.value.url, LOCAL_DATABASE);
  // What the `migrate` task does in AWS (the same function): schema, the services' roles, their passwords in their secrets.
  const { migrations, roles } = await migrateLocalDatabase(databaseUrl, { aws: awsValue, secretPrefix: RESOURCE_PREFIX });
  if (migrations.length > 0) say(`Migrated the database: ${migrations.join(', ')}`);
  const demo = await ensureDemoData({
    aws: awsValue,
    usersTable: names.tables.users,
    databaseUrl,
    localDir,
    // The embedded server's port, and so its URL, changes on every start; its data directory does not.
    databaseIdentity: postgres.value.dataDir ? `embedded:${postgres.value.dataDir}/${LOCAL_DATABASE}` : undefined,
  });
  if (demo.seeded) say(`Seeded ${demo.memberships} memberships (tricky rows included) for ${DEMO_EMAIL}.`);
  const memberships = demo.memberships;
  if (stopped()) return;

  const apiPort = settings.ports.api === 0 ? await findFreePort() : settings.ports.api;
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const keys = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const common = { aws: awsValue, names, queueUrls, linkSigningSecretArn, logLevel: settings.logLevel };
  // Each service logs in as its own role, its password read from its secret.
  const database = (service: 'api' | 'worker') => ({ databaseUrl: roles[service].url, databaseSecretArn: roles[service].secretArn });
  const forward = (prefix: string) => (line: string) => say(`[${prefix}] ${line}`);
  const [api, worker] = await Promise.allSettled([
    spawnService(
      API_ENTRY,
      serviceEnv({
        ...common,
        ...database('api'),
        identity: 'api',
        extra: {
          HOST: '127.0.0.1',
          PORT: String(apiPort),
          JWT_PRIVATE_KEY: keys.privateKey,
          JWT_PUBLIC_KEY: keys.publicKey,
          JWT_KEY_ID: `local-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}`,
        },
      }),
      { name: 'api', readyUrl: `${apiUrl}/healthz`, onLine: forward('api'), keepLines: KEEP_LINES },
    ),
    spawnService(
      WORKER_ENTRY,
      // The emailed links point at the API started beside it.
      serviceEnv({ ...common, ...database('worker'), identity: 'worker', extra: { SES_FROM_ADDRESS, PUBLIC_API_URL: apiUrl } }),
      {
        name: 'worker',
        readyLine: (line) => line.includes('worker started'),
        onLine: forward('worker'),
        keepLines: KEEP_LINES,
      },
    ),
  ]);
  if (api.status === 'fulfilled') platform.api = api.value;
  if (worker.status === 'fulfilled') platform.worker = worker.value;
  if (api.status === 'rejected') throw api.reason;
  if (worker.status === 'rejected') throw worker.reason;

  const shownDatabaseUrl = postgres.value.external ? redactUrl(databaseUrl) : databaseUrl;
  say(instructions({ apiUrl, aws: awsValue, databaseUrl: shownDatabaseUrl, memberships, queueUrls, eventBus: names.eventBus }));
}

/** Creates the database on the server if it is missing; returns its URL. */
async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl, application_name: 'local-platform' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, database);
}

function withPortHint(error: unknown): unknown {
  if (!(error instanceof Error) || !/address already in use|EADDRINUSE|BindException|could not bind/i.test(error.message)) return error;
  return new LocalPlatformError(
    'port_in_use',
    `${error.message}\n\nA port is already in use (another \`npm start\`?). Stop it, or choose other ports with DYNAMODB_PORT, FAUXQS_PORT, SES_PORT, SCHEDULER_PORT, EVENTBRIDGE_PORT, IAM_GATE_PORT, POSTGRES_PORT, PORT.`,
    { cause: error },
  );
}

function instructions(facts: {
  apiUrl: string;
  aws: LocalAws;
  databaseUrl: string;
  memberships: number;
  queueUrls: ProvisionedQueues;
  eventBus: string;
}): string {
  const { apiUrl, aws } = facts;
  const json = (field: string) => `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).${field}'`;
  return `
================================================================================
 The membership export platform is running locally.

 API            ${apiUrl}   (health: ${apiUrl}/healthz)
 Demo user      ${DEMO_EMAIL} / ${DEMO_PASSWORD}   (${facts.memberships} memberships)

 Try it (copy-paste into a shell):

   TOKEN=$(curl -s -X POST ${apiUrl}/v1/auth/token -H 'content-type: application/json' \\
     -d '{"email":"${DEMO_EMAIL}","password":"${DEMO_PASSWORD}"}' | ${json('access_token')})
   EXPORT_ID=$(curl -s -X POST ${apiUrl}/v1/exports -H "authorization: Bearer $TOKEN" | ${json('id')})
   curl -s ${apiUrl}/v1/exports/$EXPORT_ID -H "authorization: Bearer $TOKEN"; echo
   # once "state" is "succeeded" (the file is also emailed to ${DEMO_EMAIL}):
   curl -sL -o memberships.csv ${apiUrl}/v1/exports/$EXPORT_ID/download -H "authorization: Bearer $TOKEN"

 Completion events, as a webhook receiver gets them (in a second shell, then export again):

   printf '%s' '${DEMO_PASSWORD}' | npx memberships login --email ${DEMO_EMAIL} --password-stdin
   npx memberships webhooks listen      # one VERIFIED line per signed event; Ctrl+C deletes its endpoint

 Sent emails    ${aws.emulatorEndpoints.ses}/   (web UI; JSON: ${aws.emulatorEndpoints.ses}/store)
 AWS APIs       ${aws.endpoints.dynamodb}   (the IAM gate: every service's calls, held to its role's synthesized policy)
 behind it      DynamoDB ${aws.emulatorEndpoints.dynamodb}, SQS + S3 ${aws.emulatorEndpoints.sqs}, Scheduler ${aws.emulatorEndpoints.scheduler} (real clock),
                Secrets Manager ${aws.emulatorEndpoints.secretsManager}, EventBridge ${aws.emulatorEndpoints.events}
 Export queue   ${facts.queueUrls.exportQueueUrl}
 Webhook queue  ${facts.queueUrls.webhookQueueUrl}
 Event bus      ${facts.eventBus}   (events put on it: ${aws.emulatorEndpoints.events}/_local/events?bus=${facts.eventBus})
 PostgreSQL     ${facts.databaseUrl}

 Ctrl+C to stop.
================================================================================`;
}

main().catch((error: unknown) => {
  // Only a bad setting gets here (everything after start-up reports and shuts down by itself).
  process.stderr.write(`Cannot start the local platform: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
