/**
 * The job's options through the whole worker (createWorker against the
 * emulators and a real PostgreSQL): a job created with options (as the API
 * creates it) gets its file in that format, stored under the format's key
 * with its content type and name, attached as that file, with facts that
 * describe the stored (compressed) bytes.
 */
import { gunzipSync } from 'node:zlib';
import {
  contentDisposition,
  DEFAULT_EXPORT_OPTIONS,
  encodeMessage,
  type ExportOptions,
  exportRequestedMessage,
  isFinal,
} from '@memberships/core/contract';
import { readMemberships, seedMemberships } from '@memberships/local-platform';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { sha256, WorkerTestEnvironment } from './testing/worker-environment';
import { readXlsx } from './testing/xlsx-reader';

jest.setTimeout(120_000);

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

describe('export worker, options', () => {
  const env = WorkerTestEnvironment.forSuite();

  async function exportWith(options: ExportOptions, rows: number) {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, rows, { tricky: true });
    // A worker per test: inProcessWorkers stops them after each.
    await startWorker(env);
    const { job } = await env.jobs.create({ userId: user.id, trigger: 'api', options });
    await env.send(encodeMessage(exportRequestedMessage(job)));
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [email] = await env.waitForEmails(user.email, 1);
    const object = await env.getObject(done.file!.key);
    return { user, job, done, email: email!, object };
  }

  it('stores and attaches a gzipped CSV in the Excel dialect as .csv.gz, described by its compressed bytes', async () => {
    const options: ExportOptions = {
      ...DEFAULT_EXPORT_OPTIONS,
      csv: { delimiter: ';', bom: true, lineEnding: 'crlf' },
      compression: 'gzip',
    };
    const { user, job, done, email, object } = await exportWith(options, 300);
    const fileName = `memberships-${job.createdAt.slice(0, 10)}-${job.id}.csv.gz`;
    expect(done).toMatchObject({ state: 'succeeded', progress: { rowsExported: done.file!.rows, rowsTotal: done.file!.rows } });
    expect(done.file).toEqual({
      key: `exports/${user.id}/${job.id}.csv.gz`,
      rows: (await readMemberships(env.database.url, user.id)).length,
      bytes: object.body.length,
      sha256: sha256(object.body),
      contentType: 'application/gzip',
    });
    expect(object.contentType).toBe('application/gzip');
    expect(object.contentDisposition).toBe(contentDisposition(fileName));
    const csv = gunzipSync(object.body);
    expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.toString('utf8')).toMatch(/^\uFEFF"?id"?;"?uuid"?;/);
    expect(email.attachments).toHaveLength(1);
    expect(email.attachments[0]).toMatchObject({ filename: fileName, contentType: 'application/gzip' });
    expect(Buffer.from(email.attachments[0]!.content, 'base64').equals(object.body)).toBe(true);
  });

  it('stores and attaches an XLSX workbook with the job’s columns as .xlsx', async () => {
    const options: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, format: 'xlsx', columns: ['id', 'club_name', 'price'] };
    const { user, job, done, email, object } = await exportWith(options, 200);
    const stored = await readMemberships(env.database.url, user.id);
    const contentType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    expect(done.file).toMatchObject({ key: `exports/${user.id}/${job.id}.xlsx`, rows: stored.length, contentType });
    expect(object.contentType).toBe(contentType);
    expect(email.attachments[0]).toMatchObject({ filename: `memberships-${job.createdAt.slice(0, 10)}-${job.id}.xlsx`, contentType });
    const [sheet] = readXlsx(object.body).sheets;
    expect(sheet!.rows[0]!.map((cell) => cell?.value)).toEqual(['id', 'club_name', 'price']);
    expect(sheet!.rows.slice(1).map((cells) => cells.map((cell) => cell?.value))).toEqual(stored.map((m) => [m.id, m.clubName, m.price]));
  });

  it('stores a JSON Lines file as .jsonl with one object per membership', async () => {
    const options: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, format: 'jsonl', columns: ['id', 'notes'] };
    const { user, job, done, object } = await exportWith(options, 100);
    const stored = await readMemberships(env.database.url, user.id);
    expect(done.file).toMatchObject({ key: `exports/${user.id}/${job.id}.jsonl`, contentType: 'application/x-ndjson; charset=utf-8' });
    const lines = object.body
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual(stored.map((m) => ({ id: Number(m.id), notes: m.notes })));
  });
});
