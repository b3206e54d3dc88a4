export { createClient, DEFAULT_REQUEST_TIMEOUT_MS, type ClientOptions, type MembershipsClient } from './client.js';
export type {
  Credentials,
  PasswordCredentials,
  RefreshCoordinator,
  TokenCredentials,
  Tokens,
} from './auth-session.js';
export {
  ApiError,
  DownloadError,
  ExportCanceledError,
  ExportExpiredError,
  ExportFailedError,
  IntegrityError,
  MembershipsError,
  MissingCredentialsError,
  NetworkError,
  NotAuthenticatedError,
  SessionExpiredError,
  UnexpectedResponseError,
  WaitTimeoutError,
} from './errors.js';
export { exportFileExtension, exportFileName } from './export-file-name.js';
export { isFailedExport, isSucceededExport } from './export-outcome.js';
export type { BackoffOptions } from './backoff.js';
export type { DownloadTarget } from './file-download.js';
export type { AuthResource } from './resources/auth.js';
export type { CallOptions } from './resources/context.js';
export type {
  CreatedExport,
  CreateExportOptions,
  DownloadResult,
  ExportsResource,
  ListExportsOptions,
  WaitOptions,
} from './resources/exports.js';
export type { ScheduleTiming, SchedulesResource } from './resources/schedules.js';
export type { ListDeliveriesOptions, WebhooksResource } from './resources/webhooks.js';
export { decodeJwtExpiry } from './token-expiry.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WebhookSignatureError,
  type SignatureHeader,
  type VerifyWebhookOptions,
  type WebhookSignatureErrorCode,
} from './webhook-signature.js';
export type {
  AccountSettings,
  CreatedWebhookEndpoint,
  CurrentUser,
  DownloadChannel,
  ExportDownload,
  ExportDownloads,
  ExportJob,
  ExportJobOptions,
  ExportPage,
  ExportRequest,
  ExportSchedule,
  ExportScheduleList,
  ExportState,
  FailedExportJob,
  NewWebhookEndpoint,
  Problem,
  ScheduleState,
  SucceededExportJob,
  TokenResponse,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointChanges,
  WebhookEndpointList,
  WebhookEvent,
  WebhookEventType,
} from './types.js';
export type { paths } from './generated/api.js';
export { SDK_VERSION } from './version.js';
