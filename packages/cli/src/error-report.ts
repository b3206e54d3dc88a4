import {
  ApiError,
  DownloadError,
  ExportCanceledError,
  ExportExpiredError,
  ExportFailedError,
  IntegrityError,
  NetworkError,
  NotAuthenticatedError,
  SessionExpiredError,
  WaitTimeoutError,
} from '@memberships/sdk';
import { CliError, EXIT, loginCommandFor, ReportedExit } from './errors.js';

export interface ErrorReport {
  readonly exitCode: number;
  readonly message: string;
  readonly suggestion?: string | undefined;
  /** Already said by the command: print nothing more, just exit with the code. */
  readonly reported?: boolean;
}

/**
 * The one place an error becomes what the user sees: `error: <message>`, an
 * optional `hint: <suggestion>`, and the exit code.
 */
export function describeError(error: unknown, context: { apiUrl: string }): ErrorReport {
  if (error instanceof ReportedExit) return { exitCode: error.exitCode, message: error.message, reported: true };
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message, suggestion: error.suggestion };
  if (isAbort(error) || isPromptExit(error)) return { exitCode: EXIT.interrupted, message: 'Interrupted.' };
  if (error instanceof NetworkError) {
    return {
      exitCode: EXIT.failure,
      message: error.message,
      suggestion: 'Pass the right URL with --api-url or MEMBERSHIPS_API_URL.',
    };
  }
  if (error instanceof SessionExpiredError || error instanceof NotAuthenticatedError) {
    return { exitCode: EXIT.failure, message: error.message, suggestion: `Run: ${loginCommandFor(context.apiUrl)}` };
  }
  if (error instanceof ExportFailedError) {
    return {
      exitCode: EXIT.failure,
      message: error.message,
      suggestion: 'Request a new export with: memberships export. If it fails again, contact support with the export id.',
    };
  }
  if (error instanceof ExportCanceledError || error instanceof ExportExpiredError) {
    return { exitCode: EXIT.failure, message: error.message, suggestion: 'Request a new export with: memberships export' };
  }
  if (error instanceof WaitTimeoutError) {
    return { exitCode: EXIT.failure, message: error.message, suggestion: `Check on it with: memberships exports show ${error.jobId}` };
  }
  if (error instanceof IntegrityError || error instanceof DownloadError) {
    return {
      exitCode: EXIT.failure,
      message: error.message,
      suggestion: `Download it again with: memberships exports download ${error.jobId} --output FILE`,
    };
  }
  if (error instanceof ApiError) return { exitCode: EXIT.failure, message: apiMessage(error), suggestion: apiHint(error, context.apiUrl) };
  if (isNodeError(error) && ['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'ENOTDIR', 'ENOSPC', 'EROFS'].includes(error.code ?? '')) {
    return { exitCode: EXIT.failure, message: error.message, suggestion: 'Check the path and its permissions.' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: EXIT.failure,
    message: `Unexpected error: ${message}`,
    suggestion: 'Run again with MEMBERSHIPS_DEBUG=1 for details, and report it if it persists.',
  };
}

/**
 * The API's message; for a refused request body (`validation_failed`,
 * `invalid_schedule`), every bad field on a line of its own, since the API
 * lists them all at once and fixing them one run at a time is tedious.
 */
function apiMessage(error: ApiError): string {
  const fields = Array.isArray(error.problem.errors) ? (error.problem.errors as unknown[]).filter(isFieldError) : [];
  if (fields.length === 0) return error.message;
  const lines = fields.map((field) => `  ${field.field ? `${field.field}: ` : ''}${field.message}`);
  return [`The API refused ${fields.length === 1 ? 'a value' : `${fields.length} values`}:`, ...lines].join('\n');
}

function isFieldError(value: unknown): value is { field?: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const { field, message } = value as { field?: unknown; message?: unknown };
  return typeof message === 'string' && (field === undefined || typeof field === 'string');
}

function apiHint(error: ApiError, apiUrl: string): string | undefined {
  switch (error.code) {
    case 'invalid_credentials':
      return 'Check your email and password.';
    case 'too_many_attempts':
      return `Too many attempts; wait ${error.retryAfterSeconds ?? 60} s before trying again.`;
    case 'invalid_token':
    case 'invalid_refresh_token':
      return `Run: ${loginCommandFor(apiUrl)}`;
    case 'export_not_found':
      return 'List your exports with: memberships exports list';
    case 'export_not_ready':
      return 'Wait for it to finish: memberships exports show ID';
    case 'export_already_finished':
      return 'It has already ended; see it with: memberships exports show ID';
    case 'export_file_expired':
      return 'Its file was deleted after its retention period; request a new export with: memberships export';
    case 'schedule_not_found':
      return 'List your schedules with: memberships schedule list';
    case 'schedule_limit_reached':
      return 'Delete one you no longer need (memberships schedule list, then memberships schedule delete ID), or change one with memberships schedule update ID.';
    case 'scheduler_unavailable':
      return 'Nothing was changed; try again in a moment.';
    case 'schedule_changed':
      return 'It was changed at the same moment by another request; check it with memberships schedule show ID, then try again.';
    case 'invalid_schedule':
      return 'Days run from 1 to 28, times are HH:MM on a 24-hour clock, time zones are IANA names such as Europe/Berlin; export.<option> is one of the export flags.';
    case 'webhook_endpoint_not_found':
      return 'List your webhook endpoints with: memberships webhooks list';
    case 'webhook_delivery_not_found':
      return 'List the deliveries of the endpoint with: memberships webhooks deliveries ID';
    case 'webhook_endpoint_limit_reached':
      return 'Delete one you no longer need (memberships webhooks list, then memberships webhooks delete ID).';
    case 'webhook_endpoint_disabled':
      return 'Enable it first: memberships webhooks enable ID';
    case 'webhook_url_refused':
      return 'Webhook URLs must be https:// on a public address. To receive events on this machine, use the local platform or a tunnel: memberships webhooks listen --url https://<your tunnel>';
    case 'validation_failed':
      return "Check the values against the command's --help.";
    case 'idempotency_key_reused':
      return 'That key was used before for an export with other options: use a new --idempotency-key, or the same flags as then.';
    default:
      if (error.status === 401) return `Run: ${loginCommandFor(apiUrl)}`;
      if (error.status === 403) return 'Your account is not allowed to do this; ask an administrator for access.';
      if (error.status === 429) return `Slow down; try again in ${error.retryAfterSeconds ?? 60} s.`;
      if (error.status >= 500) return `The API at ${apiUrl} had a problem; try again in a moment.`;
      return undefined;
  }
}

/** By name, not instanceof: AbortError is a DOMException, which may come from another realm. */
function isAbort(error: unknown): boolean {
  return nameOf(error) === 'AbortError';
}

/** @inquirer/prompts rejects with ExitPromptError when the user presses Ctrl+C at a prompt. */
function isPromptExit(error: unknown): boolean {
  return nameOf(error) === 'ExitPromptError';
}

function nameOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
}

function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
