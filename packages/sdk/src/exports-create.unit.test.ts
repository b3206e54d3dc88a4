import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, createClient, type ExportJob, type ExportJobOptions, exportFileName, type ExportRequest } from './index.js';
import { DEFAULT_JOB_OPTIONS } from './testing/job-fixtures.js';

/**
 * exports.create() with export options, and the name a downloaded file gets,
 * against a scripted API (fetch is the stubbed collaborator). The route is
 * tested in the API's exports.test.ts, the whole path in client.test.ts.
 */
const defaults = DEFAULT_JOB_OPTIONS;

const queued = (options: ExportJobOptions = defaults): ExportJob => ({
  id: 'job-1',
  state: 'queued',
  trigger: 'api',
  created_at: '2026-12-01T23:30:00.000Z',
  updated_at: '2026-12-01T23:30:00.000Z',
  attempts: 0,
  progress: { rows_exported: 0, rows_total: null },
  options,
  links: { self: '/v1/exports/job-1' },
});

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly idempotencyKey: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

function scriptedClient(answer: (sent: Sent) => Response) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const entry = {
      method: request.method,
      url: request.url,
      idempotencyKey: request.headers.get('idempotency-key'),
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    };
    sent.push(entry);
    return answer(entry);
  };
  const client = createClient({
    baseUrl: 'http://api.test',
    credentials: { accessToken: 'token', accessTokenExpiresAt: Date.now() + 3_600_000 },
    fetch,
  });
  return { client, sent };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json', ...headers },
  });

describe('exports.create', () => {
  it('sends the options as the JSON body, with their snake_case names, and the key as Idempotency-Key', async () => {
    const asked: ExportRequest = {
      format: 'xlsx',
      columns: ['id', 'club_name', 'started_on'],
      filters: { status: ['active', 'paused'], club_name: 'Zürich Ruderclub', started_on: { from: '2025-01-01' }, active_on: '2026-06-30' },
      time_zone: 'Europe/Berlin',
      compression: 'gzip',
    };
    const { client, sent } = scriptedClient(() => json(queued(), 202));

    const { job, existing } = await client.exports.create(asked, { idempotencyKey: 'nightly-2026-12-01' });

    expect({ id: job.id, existing }).toEqual({ id: 'job-1', existing: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'POST', url: 'http://api.test/v1/exports', idempotencyKey: 'nightly-2026-12-01' });
    expect(sent[0]?.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual(asked);
  });

  it('sends the CSV dialect and the excel preset as given, leaving the resolving to the API', async () => {
    const { client, sent } = scriptedClient(() => json(queued(), 202));
    await client.exports.create({ delimiter: '\t', bom: true, line_ending: 'crlf' });
    await client.exports.create({ preset: 'excel', locale: 'de-DE' });
    expect(sent.map((request) => JSON.parse(request.body))).toEqual([
      { delimiter: '\t', bom: true, line_ending: 'crlf' },
      { preset: 'excel', locale: 'de-DE' },
    ]);
  });

  it('sends {} without options (the defaults) and no Idempotency-Key without a key', async () => {
    const { client, sent } = scriptedClient(() => json(queued(), 202, { 'export-request': 'existing' }));
    const { existing } = await client.exports.create();
    expect(existing).toBe(true);
    expect(sent.map(({ body, idempotencyKey }) => ({ body, idempotencyKey }))).toEqual([{ body: '{}', idempotencyKey: null }]);
  });

  it('rejects a key reused with other options with the ApiError idempotency_key_reused (422), naming the first export', async () => {
    const { client } = scriptedClient(() =>
      json(
        {
          type: 'about:blank',
          title: 'Idempotency-Key reused',
          status: 422,
          code: 'idempotency_key_reused',
          detail:
            'This Idempotency-Key was first used for export job-0 with other options; send the same body to retry it, or use a new key.',
          export_id: 'job-0',
        },
        422,
      ),
    );
    const error = await client.exports.create({ format: 'jsonl' }, { idempotencyKey: 'k' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'idempotency_key_reused', problem: { export_id: 'job-0' } });
    expect((error as ApiError).message).toContain('with other options');
  });

  it('keeps every bad field of a validation_failed problem on the error', async () => {
    const errors = [
      { in: 'body', field: 'columns', message: 'unknown column "name"' },
      { in: 'body', field: 'filters.started_on.from', message: 'must be a day YYYY-MM-DD' },
    ];
    const { client } = scriptedClient(() =>
      json({ type: 'about:blank', title: 'Validation failed', status: 400, code: 'validation_failed', detail: 'x', errors }, 400),
    );
    const error = await client.exports.create({ format: 'csv' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'validation_failed', problem: { errors } });
  });
});

describe('exportFileName', () => {
  it('names the file by the day it was asked for (UTC), the id and the extension its format and compression make', () => {
    const named = (options: Partial<ExportJobOptions>) => exportFileName(queued({ ...defaults, ...options }));
    expect(named({})).toBe('memberships-2026-12-01-job-1.csv');
    expect(named({ format: 'xlsx' })).toBe('memberships-2026-12-01-job-1.xlsx');
    expect(named({ format: 'jsonl' })).toBe('memberships-2026-12-01-job-1.jsonl');
    expect(named({ compression: 'gzip' })).toBe('memberships-2026-12-01-job-1.csv.gz');
    expect(named({ format: 'jsonl', compression: 'gzip' })).toBe('memberships-2026-12-01-job-1.jsonl.gz');
  });

  it('names a job of an API from before options a .csv', () => {
    const { options: _none, ...old } = queued();
    expect(exportFileName(old as ExportJob)).toBe('memberships-2026-12-01-job-1.csv');
  });
});

describe('exports.download to a folder', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'sdk-download-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('saves the file in the folder under its name, with the extension of the job', async () => {
    const content = Buffer.from('{"id":1,"club_name":"Zürich"}\n');
    const job: ExportJob = {
      ...queued({ ...defaults, format: 'jsonl', columns: ['id', 'club_name'] }),
      state: 'succeeded',
      finished_at: '2026-12-01T23:31:00.000Z',
      file: {
        rows: 1,
        bytes: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
        content_type: 'application/x-ndjson; charset=utf-8',
      },
      links: { self: '/v1/exports/job-1', download: '/v1/exports/job-1/download' },
    };
    const { client } = scriptedClient(({ url }) => {
      if (url.endsWith('/v1/exports/job-1')) return json(job);
      if (url.endsWith('/download')) return new Response(null, { status: 302, headers: { location: 'http://files.test/f?sig=1' } });
      return new Response(content, { status: 200 });
    });

    const saved = await client.exports.download('job-1', { directory: folder });

    expect(saved.path).toBe(join(folder, 'memberships-2026-12-01-job-1.jsonl'));
    expect(await readdir(folder)).toEqual(['memberships-2026-12-01-job-1.jsonl']);
    expect(await readFile(join(folder, 'memberships-2026-12-01-job-1.jsonl'), 'utf8')).toBe('{"id":1,"club_name":"Zürich"}\n');
  });
});
