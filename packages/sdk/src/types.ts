import type { paths } from './generated/api.js';

/**
 * Public shapes of the API, taken from the generated OpenAPI types by path rather
 * than by component name, so they follow the API's document whatever its schemas
 * are called. The API speaks snake_case and so do these types: what you read in
 * the API reference is what you get.
 */
type JsonBody<Response> = Response extends { content: { 'application/json': infer Body } } ? Body : never;
/** The JSON request body of an operation, e.g. `JsonRequestBody<paths['/v1/export-schedules']['post']>`. */
export type JsonRequestBody<Operation> = Operation extends { requestBody: { content: { 'application/json': infer Body } } } ? Body : never;

/**
 * What an export is to make, the body of `POST /v1/exports`: `columns`,
 * `filters`, `format`, the CSV dialect (`delimiter`, `bom`, `line_ending`, or
 * `preset: 'excel'` with a `locale`), `time_zone`, `compression`. Every field
 * is optional; `{}` gives every column and row as comma-separated UTF-8 CSV.
 */
export type ExportRequest = Readonly<JsonRequestBody<paths['/v1/exports']['post']>>;

/** An export job as the API returns it. */
export type ExportJob = JsonBody<paths['/v1/exports/{id}']['get']['responses'][200]>;
/** The options a job makes its file with, complete (defaults filled in, a preset resolved); the dialect fields for `csv` only. */
export type ExportJobOptions = ExportJob['options'];
/** `queued` | `running` | `succeeded` | `failed` | `canceled` | `expired` (a succeeded export whose file retention has passed). */
export type ExportState = ExportJob['state'];

/**
 * A job that finished with its file: what `exports.wait()` resolves with.
 * The file facts, the finish time and the download link are present, so
 * `job.file.sha256` needs no `?.`. `delivery` (how the file was emailed) stays
 * optional: the file is the outcome, the email a courtesy whose details the
 * worker may not know for certain.
 */
export type SucceededExportJob = ExportJob & {
  readonly state: 'succeeded';
  /** Rows (the header line not counted), bytes, SHA-256 and content type of the CSV file. */
  readonly file: NonNullable<ExportJob['file']>;
  readonly finished_at: string;
  readonly links: ExportJob['links'] & { readonly download: string };
};

/** A job that ended in `failed`; `error` says why (when the API said). */
export type FailedExportJob = ExportJob & { readonly state: 'failed' };
/**
 * `GET /v1/exports/{id}/downloads`: how often the file was downloaded in all
 * (`download_count`, `last_downloaded_at`) and the latest 50 downloads in
 * detail, newest first.
 */
export type ExportDownloads = JsonBody<paths['/v1/exports/{id}/downloads']['get']['responses'][200]>;
/** One recorded download: `at`, `via`, `client_address` (as the API saw it), `user_agent?`. */
export type ExportDownload = ExportDownloads['items'][number];
/** How a download was asked for: `api` | `email_link` | `cli` | `sdk`. */
export type DownloadChannel = ExportDownload['via'];
/** One page of `GET /v1/exports`: newest first, `next_cursor` when there is more. */
export type ExportPage = JsonBody<paths['/v1/exports']['get']['responses'][200]>;
/** The signed-in user (`GET /v1/me`). */
export type CurrentUser = JsonBody<paths['/v1/me']['get']['responses'][200]>;
/**
 * The account settings `PATCH /v1/me` changes: `emailed_download_links`
 * (`false`: an export too large to attach is emailed without a link, and the
 * links emailed before stop working).
 */
export type AccountSettings = Readonly<JsonRequestBody<paths['/v1/me']['patch']>>;
/** What `POST /v1/auth/token` and `POST /v1/auth/refresh` answer. */
export type TokenResponse = JsonBody<paths['/v1/auth/token']['post']['responses'][200]>;

/** A monthly export subscription as the API returns it; `next_run_at` is null while paused. */
export type ExportSchedule = JsonBody<paths['/v1/export-schedules/{id}']['get']['responses'][200]>;
/** `active` | `paused`. */
export type ScheduleState = ExportSchedule['state'];
/** `GET /v1/export-schedules`: all of your schedules (a handful at most), oldest first. */
export type ExportScheduleList = JsonBody<paths['/v1/export-schedules']['get']['responses'][200]>;

/**
 * A URL that is sent completion events, as the API returns it: `url`,
 * `events`, `status` (`enabled`, or `disabled` with `disabled_at` and
 * `disabled_reason` after failing for too long), `failing_since` while
 * deliveries fail. Never its secret: that comes once, from create and rotateSecret.
 */
export type WebhookEndpoint = JsonBody<paths['/v1/webhook-endpoints/{id}']['get']['responses'][200]>;
/** What `webhooks.create()` and `webhooks.rotateSecret()` return: the endpoint and its signing `secret` (`whsec_…`), shown only then. */
export type CreatedWebhookEndpoint = JsonBody<paths['/v1/webhook-endpoints']['post']['responses'][201]>;
/** `GET /v1/webhook-endpoints`: all of your endpoints (a handful at most), oldest first. */
export type WebhookEndpointList = JsonBody<paths['/v1/webhook-endpoints']['get']['responses'][200]>;
/** The body of `POST /v1/webhook-endpoints`: `{ url, events, description? }`. */
export type NewWebhookEndpoint = Readonly<JsonRequestBody<paths['/v1/webhook-endpoints']['post']>>;
/** The body of `PATCH /v1/webhook-endpoints/{id}`: any of `url`, `events`, `description` (null removes it), `enabled`. */
export type WebhookEndpointChanges = Readonly<JsonRequestBody<paths['/v1/webhook-endpoints/{id}']['patch']>>;
/** One page of an endpoint's deliveries, newest first, `next_cursor` when there is more. */
export type WebhookDeliveryPage = JsonBody<paths['/v1/webhook-endpoints/{id}/deliveries']['get']['responses'][200]>;
/**
 * One event sent to one endpoint: `status` `pending` (retried with backoff),
 * `succeeded` (a 2xx answer) or `failed` (given up), and its attempts
 * (`at`, `response_status` or null when nothing answered, `duration_ms`, `error?`, `trigger`).
 */
export type WebhookDelivery = WebhookDeliveryPage['items'][number];

/** What a webhook endpoint can subscribe to: an export reaching a final state. */
export type WebhookEventType = 'export.succeeded' | 'export.failed' | 'export.canceled' | 'export.expired';

/**
 * A completion event: the body of a webhook delivery (and the Detail of the
 * platform's EventBridge event). Returned by verifyWebhookSignature().
 */
export interface WebhookEvent {
  /** `evt_…`: the same for every delivery (and re-send) of one event, so it makes handling idempotent. */
  readonly id: string;
  readonly object: 'event';
  readonly type: WebhookEventType;
  /** When the export reached its state (ISO 8601), not when this delivery was sent. */
  readonly created_at: string;
  readonly data: {
    /** The export job as `GET /v1/exports/{id}` returned it when the event occurred. */
    readonly object: ExportJob;
    /** For `export.succeeded` with a file: a signed API link that downloads it (valid for the link's lifetime, not for ever). */
    readonly download_url?: string;
  };
}

/** An RFC 9457 problem document; every API error has one. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** Stable, machine-readable reason, e.g. `invalid_credentials`, `export_not_ready`. */
  readonly code: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}
