/**
 * @memberships/local-platform: local stand-ins for AWS and PostgreSQL, for
 * tests and `npm start`. Development and test infrastructure, never deployed.
 */
export {
  BenchArgumentError,
  benchErrorText,
  benchUsage,
  HELP,
  nonNegativeInteger,
  parseBenchArguments,
  positiveInteger,
  type BenchArguments,
  type BenchCommand,
  type BenchOption,
  type BenchOptions,
} from './bench-arguments';
export { dynamoDbClient, LOCAL_CREDENTIALS, localClientConfig, s3Client, sqsClient, useLocalAwsEnvironment } from './aws-clients';
export { DEMO_EMAIL, DEMO_MEMBERSHIPS, DEMO_PASSWORD, ensureDemoData, type DemoData, type DemoDataOptions } from './demo-data';
export { startDynamoDbLocal, type DynamoDbLocalOptions } from './emulators/dynamodb-local';
export type { EmulatorOptions, RunningEmulator } from './emulators/emulator';
export { busEvents, startEventBridgeLocal, type StoredEvent } from './emulators/eventbridge-local';
export { startFauxqs } from './emulators/fauxqs';
export { startSecretsManagerLocal } from './emulators/secrets-manager-local';
export { startSesLocal } from './emulators/ses-local';
export { testAwsSettings, testDatabaseServerUrl } from './environment';
export { findFreePort } from './free-port';
export * from './errors';
export { DEFAULT_EMAIL_DOMAIN, startLocalAws, stopAll, TEST_SES_FROM_ADDRESS, type LocalAws, type LocalAwsOptions } from './local-aws';
export type { ExitInfo, OutputStream } from './managed-process';
export {
  createTestDatabase,
  migrateLocalDatabase,
  queryRows,
  redactUrl,
  startPostgres,
  withDatabase,
  withUser,
  type DatabaseRoleAccess,
  type DatabaseRoles,
  type MigrateLocalOptions,
  type PostgresOptions,
  type RunningPostgres,
  type TestDatabase,
} from './postgres';
export {
  ensureExpirySweepSchedule,
  ensureLinkSigningSecret,
  ensureTable,
  linkSigningSecretName,
  provisionResources,
  rotateLinkSigningKey,
  type ProvisionedQueues,
  type ProvisionOptions,
} from './provision';
export {
  createUser,
  insertMemberships,
  readMemberships,
  seedMemberships,
  TRICKY_MEMBERSHIPS,
  type CreatedUser,
  type CreateUserOptions,
  type MembershipValues,
  type SeededMembership,
  type SeedOptions,
  type SeedResult,
} from './seed';
export {
  awsKeyEnvironment,
  LOCAL_SCHEDULER_ROLE_ARN,
  serviceEnv,
  spawnService,
  type RunningService,
  type ServiceEnvOptions,
  type SpawnServiceOptions,
} from './services';
export {
  AWS_SERVICES,
  DENIALS_PATH,
  localCredentials,
  type AwsService,
  type DenialRecord,
  type LocalCredentials,
  type LocalIdentity,
  type RunningIamGate,
  type ServiceLatency,
} from './iam-gate';
export {
  attachmentContent,
  clearEmails,
  isAddressedTo,
  listEmails,
  waitForEmails,
  type SesAttachment,
  type SesEmail,
  type WaitForEmailsOptions,
} from './ses-mailbox';
export { acknowledgeIamDenials, provisionTestResources, startTestIamGate, type TestResources } from './testing';
export { csvObjects, parseCsv } from './testing/csv';
export { EXPECTED_HEADER, expectedRecord, expectedRow } from './testing/expected-csv';
export { drainQueue, jsonBodies, type DrainQueueOptions } from './testing/sqs';
export { mapLimit } from './testing/map-limit';
export { waitFor, type WaitForOptions } from './testing/wait';
export {
  artefactsDirectory,
  chromiumPath,
  DEFAULT_CHROMIUM_PATH,
  openBrowser,
  type OpenBrowserOptions,
  type RenderedLink,
  type RenderedPage,
  type RenderOptions,
  type TestBrowser,
} from './testing/browser';
export { documentedDefault, tableDrift, variableRows, type VariableRow } from './testing/variable-tables';
export { decodeJwt, recordingFetch, startTestPlatform, unreachableUrl, type TestPlatform, type TestPlatformOptions } from './test-platform';
export { REPO_ROOT } from './package-paths';
export {
  csvImportFilter,
  DEFAULT_SOFFICE_PATH,
  readSpreadsheet,
  sofficePath,
  type CellKind,
  type CsvImportOptions,
  type ReadSpreadsheetOptions,
  type SpreadsheetCell,
  type SpreadsheetReading,
} from './testing/spreadsheet';
export { parseCsvDialect, type CsvDialectShape } from './testing/csv-dialect';
