import {
  COMPRESSIONS,
  CSV_DELIMITERS,
  EXPORT_COLUMN_NAMES,
  EXPORT_COLUMNS,
  EXPORT_FORMATS,
  EXPORT_PRESETS,
  JOB_STATES,
  DECIMAL_SEPARATORS,
  LINE_ENDINGS,
  MAX_CLUB_NAME_LENGTH,
  MEMBERSHIP_STATUSES,
} from '@memberships/core/contract';

/**
 * The public shape of an export job (snake_case). It is a projection of the
 * core ExportJob: internal fields (user id, S3 key, lease) are not in it, and
 * as a response schema it also drops anything not listed here.
 */
const timestamp = { type: 'string', format: 'date-time' } as const;

const isoDate = { type: 'string', format: 'date', description: 'A calendar day, `YYYY-MM-DD`.' } as const;
const dateRange = (what: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    description: `Only memberships whose ${what} is in this inclusive range; either end may be left out (open).`,
    properties: { from: { ...isoDate, description: 'First day (inclusive).' }, to: { ...isoDate, description: 'Last day (inclusive).' } },
  }) as const;
const columnList = EXPORT_COLUMNS.map((column) => `\`${column.name}\` (${column.type})`).join(', ');

/** The fields an export's options have both in a request and on a job. */
const optionProperties = {
  columns: {
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    items: { type: 'string', enum: [...EXPORT_COLUMN_NAMES] },
    description:
      `The columns, in this order, each at most once. Default: all, in the documented order: ${columnList}. ` +
      '`text` columns are what people typed: in CSV always quoted, and a leading formula character (`=`, `+`, `-`, `@`, ' +
      'tab, CR, also after leading spaces or invisible characters, and the full-width `＝＋－＠`) gets an apostrophe first.',
  },
  filters: {
    type: 'object',
    additionalProperties: false,
    description: 'Which memberships: all of the given filters apply (AND). Default: none, every membership of yours.',
    properties: {
      status: {
        type: 'array',
        minItems: 1,
        items: { type: 'string', enum: [...MEMBERSHIP_STATUSES] },
        description: 'Only memberships in one of these states.',
      },
      club_name: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_CLUB_NAME_LENGTH,
        description: 'Only memberships of the club of exactly this name (as stored, case-sensitive).',
      },
      started_on: dateRange('`started_on`'),
      ends_on: dateRange('`ends_on`'),
      active_on: { ...isoDate, description: 'Only memberships running on this day: started on or before it, not ended before it.' },
    },
  },
  format: {
    type: 'string',
    enum: [...EXPORT_FORMATS],
    description:
      'Default `csv`. `xlsx`: a spreadsheet with typed cells (text as text, numbers as numbers, dates as dates), a frozen, ' +
      'filtered header row, continued on further sheets past 1,048,576 rows. `jsonl`: one JSON object per line, raw typed values.',
  },
  delimiter: {
    type: 'string',
    enum: [...CSV_DELIMITERS],
    description: "CSV only: the field separator, `,` `;` or a tab. Default `,` (with `preset: excel`, the locale's).",
  },
  bom: {
    type: 'boolean',
    description:
      'CSV only: start the file with a UTF-8 byte order mark, so spreadsheets read it as UTF-8. Default false (with `preset: excel`, true).',
  },
  line_ending: {
    type: 'string',
    enum: [...LINE_ENDINGS],
    description:
      'CSV only: `lf` or `crlf` between records (line breaks inside a field are kept). Default `lf` (with `preset: excel`, `crlf`).',
  },
  decimal_separator: {
    type: 'string',
    enum: [...DECIMAL_SEPARATORS],
    description:
      'CSV only: of the decimal column (`price`): `.` or `,` (not with the `,` delimiter), so a spreadsheet whose locale writes ' +
      "decimals with a comma reads prices as numbers. Default `.` (with `preset: excel`, the locale's).",
  },
  time_zone: {
    type: 'string',
    description:
      "IANA time zone of the timestamp columns (`created_at`, `updated_at`): ISO 8601 with that zone's offset. Date columns " +
      'are calendar days and never shifted. Default `UTC` (`...Z`).',
  },
  compression: {
    type: 'string',
    enum: [...COMPRESSIONS],
    description: 'Default `none`. `gzip`: the file is gzip-compressed (`.csv.gz`, `.xlsx.gz`, `.jsonl.gz`).',
  },
} as const;

/**
 * The options of POST /v1/exports (and a schedule's `export`), for the
 * OpenAPI document. What decides is core's readExportOptions, which reports
 * every bad field at once (this schema's validator stops at the first);
 * it runs before this schema is applied.
 */
export const exportOptionsBodySchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'What the export file holds and how it is written; every field is optional, and `{}` (or no body) gives the file of ' +
    'before options existed: all columns, all rows, comma-separated UTF-8 CSV without BOM, LF, UTC. Every bad field is ' +
    'listed in one `validation_failed` problem.',
  properties: {
    ...optionProperties,
    preset: {
      type: 'string',
      enum: [...EXPORT_PRESETS],
      description:
        'CSV only. `excel`: a BOM, CRLF and the delimiter and decimal separator a spreadsheet expects under `locale` (`;` and ' +
        '`12,50` where the decimal separator is a comma, so prices import as numbers). `delimiter`, `bom`, `line_ending` and ' +
        '`decimal_separator` given as well win over it.',
    },
    locale: {
      type: 'string',
      description: 'With `preset: excel` only: a BCP 47 locale such as `de-DE` or `en-GB`, for its delimiter. Default `en`.',
    },
  },
} as const;

/** The options as a job (and a schedule) shows them: complete, every default filled in, a preset resolved. */
export const exportOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'What the file holds and how it is written, complete (defaults filled in, a preset resolved into its dialect). ' +
    '`delimiter`, `bom`, `line_ending` and `decimal_separator` are present for `csv` only.',
  required: ['columns', 'filters', 'format', 'time_zone', 'compression'],
  properties: optionProperties,
} as const;

export const exportJobSchema = {
  $id: 'ExportJob',
  type: 'object',
  description: 'An asynchronous export of your memberships, as a file in the format and with the columns and rows its `options` say.',
  additionalProperties: false,
  required: ['id', 'state', 'trigger', 'created_at', 'updated_at', 'attempts', 'progress', 'options', 'links'],
  properties: {
    id: { type: 'string', description: 'Export id.' },
    state: {
      type: 'string',
      enum: [...JOB_STATES],
      description:
        '`queued` → `running` → `succeeded` | `failed`; `queued` or `running` → `canceled` (POST `/v1/exports/{id}/cancel`). ' +
        '`succeeded`, `failed`, `canceled` and `expired` are final; a `succeeded` export reads `expired` once its file ' +
        'retention has passed (`expires_at`): its file is deleted, request a new export.',
    },
    trigger: { type: 'string', enum: ['api', 'schedule'], description: 'What requested the export.' },
    created_at: { ...timestamp, description: 'When the export was requested.' },
    updated_at: { ...timestamp, description: 'Last change of this record.' },
    started_at: { ...timestamp, description: 'When a worker first started building the file.' },
    finished_at: { ...timestamp, description: 'When the export succeeded, failed or was canceled.' },
    expires_at: {
      ...timestamp,
      description: 'When the file is deleted (on every export with a file): from then on the export reads `expired`.',
    },
    attempts: { type: 'integer', minimum: 0, description: 'How many times a worker has started this export.' },
    progress: {
      type: 'object',
      additionalProperties: false,
      required: ['rows_exported', 'rows_total'],
      properties: {
        rows_exported: { type: 'integer', minimum: 0 },
        rows_total: { type: ['integer', 'null'], minimum: 0, description: 'null until the worker has counted the rows.' },
      },
    },
    options: { ...exportOptionsSchema, description: `The export's options. ${exportOptionsSchema.description}` },
    file: {
      type: 'object',
      description: 'The finished file (when `succeeded`).',
      additionalProperties: false,
      required: ['rows', 'bytes', 'sha256', 'content_type'],
      properties: {
        rows: { type: 'integer', minimum: 0, description: 'Data rows (the header line not counted).' },
        bytes: { type: 'integer', minimum: 0 },
        sha256: { type: 'string', description: 'Hex SHA-256 of the file, to check a download.' },
        content_type: { type: 'string' },
      },
    },
    delivery: {
      type: 'object',
      description: 'How the file was emailed (when `succeeded`).',
      additionalProperties: false,
      required: ['method', 'to', 'emailed_at'],
      properties: {
        method: {
          type: 'string',
          enum: ['attachment', 'link', 'app'],
          description:
            'Attached to the email, a signed download link in it (valid until `expires_at`), or neither: the account turned ' +
            'emailed links off, and the email says to download it here.',
        },
        to: { type: 'string', description: "The account's email address." },
        emailed_at: timestamp,
      },
    },
    download_count: {
      type: 'integer',
      minimum: 0,
      description: 'How often the file was downloaded, by any way (API, emailed link, CLI, SDK); on every export with a file.',
    },
    last_downloaded_at: { ...timestamp, description: 'The latest download (absent before the first).' },
    error: {
      type: 'object',
      description: 'Why the export failed (when `failed`).',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. `enqueue_failed`.' },
        message: { type: 'string' },
      },
    },
    links: {
      type: 'object',
      additionalProperties: false,
      required: ['self'],
      properties: {
        self: { type: 'string', description: 'This export.' },
        download: { type: 'string', description: 'The file (redirects to a short-lived URL); present once succeeded.' },
        downloads: { type: 'string', description: 'The record of its downloads; present on every export with a file.' },
      },
    },
  },
} as const;

export const exportJobListSchema = {
  $id: 'ExportJobList',
  type: 'object',
  description: 'A page of your exports, newest first.',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: { type: 'array', items: { $ref: 'ExportJob#' } },
    next_cursor: { type: 'string', description: 'Pass as `cursor` to get the next page; absent on the last page.' },
  },
} as const;
