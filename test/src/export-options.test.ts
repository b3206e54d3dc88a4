import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  attachmentContent,
  isAddressedTo,
  parseCsv,
  parseCsvDialect,
  readMemberships,
  startTestPlatform,
  waitForEmails,
  type SeededMembership,
  type TestPlatform,
} from '@memberships/local-platform';
import {
  ALL_COLUMNS,
  csvRecord,
  insertHostileRows,
  jsonObject,
  passes,
  refusedValues,
  type Column,
  type Filters,
} from './support/expected-export';
import { login, waitForFinalJob, type JobBody } from './support/http';

// A user asks for an export with options over HTTP (POST /v1/exports with a body) and gets the
// file they asked for: the columns in their order, the rows their filters select, the format,
// CSV dialect, time zone and compression. Every field of every file is compared with the rows
// in PostgreSQL (expected-export.ts, written without production's code), on the tricky rows and
// the hostile ones: a formula after a leading space or an invisible character, full-width look-alikes,
// `Berlin;=1+1`, leading zeros, instants either side of both DST changes in Berlin.
describe('export options, end to end', () => {
  let platform: TestPlatform;
  let token: string;
  let rows: SeededMembership[];

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 40 });
    await insertHostileRows(platform.database.url, platform.user.id);
    rows = await readMemberships(platform.database.url, platform.user.id);
    token = await login(platform.apiUrl, platform.user.email, platform.user.password);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  interface OptionsJob extends JobBody {
    options: Record<string, unknown>;
  }

  interface Exported {
    job: OptionsJob;
    file: Buffer;
    fileName: string;
    contentType: string | null;
  }

  /** Requests an export with `body`, waits for it, and downloads its file through the API as a user's script does. */
  async function exportWith(body: Record<string, unknown> | undefined): Promise<Exported> {
    const response = await fetch(`${platform.apiUrl}/v1/exports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    const job = (await waitForFinalJob(platform.apiUrl, location, token)) as OptionsJob;
    expect(job).toMatchObject({ state: 'succeeded' });
    const redirect = await fetch(`${platform.apiUrl}${location}/download`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(302);
    const download = await fetch(redirect.headers.get('location')!);
    expect(download.status).toBe(200);
    const file = Buffer.from(await download.arrayBuffer());
    expect(job.file).toMatchObject({ bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    const fileName = /filename="([^"]+)"/.exec(download.headers.get('content-disposition') ?? '')?.[1];
    expect(fileName).toMatch(new RegExp(`^memberships-\\d{4}-\\d{2}-\\d{2}-${job.id}\\.`));
    return { job, file, fileName: fileName!, contentType: download.headers.get('content-type') };
  }

  const selected = (filters: Filters = {}) => rows.filter((m) => passes(m, filters));

  it('has the hostile rows (formulas behind spaces, look-alikes, delimiters, leading zeros), and PostgreSQL refuses the infinite and NaN values that used to export wrong', async () => {
    // Infinity and NaN can no longer be stored (the finite-values migration's CHECKs, SQLSTATE 23514), so no export
    // meets one: that is the assertion this end-to-end suite can make; the migration's own tests cover the rest.
    expect(await refusedValues(platform.database.url, platform.user.id)).toEqual({
      created_at: '23514',
      started_on: '23514',
      ends_on: '23514',
      price: '23514',
    });
    expect(rows.map((m) => m.clubName)).toEqual(expect.arrayContaining([' =1+1', 'Berlin;=1+1', '\uFF0B49 Club']));
  });

  it('without options gives every column and row as before, the new formula cases neutralised', async () => {
    const { job, file, fileName, contentType } = await exportWith(undefined);
    expect(fileName).toMatch(/\.csv$/);
    expect(contentType).toBe('text/csv; charset=utf-8');
    expect(job.options).toMatchObject({ columns: ALL_COLUMNS, filters: {}, format: 'csv', delimiter: ',', bom: false, line_ending: 'lf' });
    const [header, ...records] = parseCsv(file);
    expect(header).toEqual(ALL_COLUMNS);
    expect(records).toEqual(rows.map((m) => csvRecord(m)));
    // Spelled out for the hostile cases, the first of them a leading space before =.
    const issue = records.find((record) => record[2] === "' =1+1")!;
    expect(issue.slice(2, 5)).toEqual(["' =1+1", '007', "'\uFF1D1+1"]);
    expect(issue[11]).toBe("'\u200B=1+1");
    expect(records.find((record) => record[2] === 'Berlin;=1+1')![11]).toBe("'\u00A0+SUM(A1:A2)");
    // Text columns are always quoted, so `Berlin;=1+1` is one field in any dialect.
    expect(file.toString('utf8')).toContain('"Berlin;=1+1","Zürich","007"');
  });

  it('gives the asked columns in the asked order and only the rows the filters select', async () => {
    const columns: Column[] = ['club_name', 'price', 'id', 'started_on', 'status', 'notes'];
    const filters: Filters = { status: ['active', 'paused'], started_on: { from: '2016-01-01', to: '2021-10-31' } };
    const { job, file } = await exportWith({ columns, filters });
    expect(job.options).toMatchObject({ columns, filters });
    const expected = selected(filters);
    // The filters must select some rows and leave some out, or this proves nothing.
    expect(expected.length).toBeGreaterThan(2);
    expect(expected.length).toBeLessThan(rows.length);
    const [header, ...records] = parseCsv(file);
    expect(header).toEqual(columns);
    expect(records).toEqual(expected.map((m) => csvRecord(m, columns)));
    expect(job.file!.rows).toBe(expected.length);
  });

  it('selects by club name and by the day a membership is active on', async () => {
    const byClub = await exportWith({ columns: ['id', 'club_name'], filters: { club_name: 'Berlin;=1+1' } });
    expect(parseCsv(byClub.file).slice(1)).toEqual(selected({ club_name: 'Berlin;=1+1' }).map((m) => csvRecord(m, ['id', 'club_name'])));
    expect(parseCsv(byClub.file)).toHaveLength(2);

    const filters: Filters = { active_on: '2021-10-31', ends_on: { from: '2021-01-01' } };
    const expected = selected(filters);
    expect(expected.length).toBeGreaterThan(0);
    const active = await exportWith({ columns: ['id', 'started_on', 'ends_on'], filters });
    expect(parseCsv(active.file).slice(1)).toEqual(expected.map((m) => csvRecord(m, ['id', 'started_on', 'ends_on'])));
  });

  it('writes the excel preset for de-DE: a BOM, `;`, CRLF record ends, text quoted and neutralised', async () => {
    const { job, file, fileName } = await exportWith({ preset: 'excel', locale: 'de-DE' });
    expect(fileName).toMatch(/\.csv$/);
    expect(job.options).toMatchObject({ delimiter: ';', bom: true, line_ending: 'crlf', decimal_separator: ',' });
    expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [header, ...records] = parseCsvDialect(file, { delimiter: ';', bom: true, lineEnding: 'crlf' });
    expect(header).toEqual(ALL_COLUMNS);
    // Prices with the decimal comma: what a German spreadsheet reads as a number.
    expect(records).toEqual(rows.map((m) => csvRecord(m, ALL_COLUMNS, 'UTC', true)));
    // Every record ends in CRLF: the lines between record ends never end in a bare LF (LF inside quoted text stays).
    const text = file.toString('utf8');
    expect(text.split('\r\n').length - 1).toBeGreaterThanOrEqual(rows.length + 1);
    expect(text).toContain('"Berlin;=1+1";"Zürich";"007"');
  });

  it('writes a tab-separated file when asked', async () => {
    const { job, file } = await exportWith({ delimiter: '\t' });
    expect(job.options).toMatchObject({ delimiter: '\t', bom: false, line_ending: 'lf' });
    const [header, ...records] = parseCsvDialect(file, { delimiter: '\t', bom: false, lineEnding: 'lf' });
    expect(header).toEqual(ALL_COLUMNS);
    expect(records).toEqual(rows.map((m) => csvRecord(m)));
  });

  it('shows instants in Europe/Berlin with the offset of their moment, across both DST changes, and never shifts a date', async () => {
    const columns: Column[] = ['club_name', 'started_on', 'ends_on', 'created_at', 'updated_at'];
    const { job, file } = await exportWith({ columns, time_zone: 'Europe/Berlin' });
    expect(job.options).toMatchObject({ time_zone: 'Europe/Berlin' });
    const records = parseCsv(file).slice(1);
    expect(records).toEqual(rows.map((m) => csvRecord(m, columns, 'Europe/Berlin')));
    // Written out for the DST rows: the last millisecond of winter time and the first of summer time, then 02:30 twice.
    expect(records.find((record) => record[0] === "' =1+1")).toEqual([
      "' =1+1",
      '2021-03-28',
      '2021-10-31',
      '2021-03-28T01:59:59.999+01:00',
      '2021-03-28T03:00:00.000+02:00',
    ]);
    expect(records.find((record) => record[0] === 'Berlin;=1+1')).toEqual([
      'Berlin;=1+1',
      '2021-10-31',
      '',
      '2021-10-31T02:30:00.000+02:00',
      '2021-10-31T02:30:00.000+01:00',
    ]);
    // A day near midnight UTC stays its day: 29 February 2020, stored 23:30 UTC (00:30 on 1 March in Berlin).
    expect(records.find((record) => record[0] === "'\uFF0B49 Club")).toEqual([
      "'\uFF0B49 Club",
      '2020-02-29',
      '2021-03-28',
      '2020-03-01T00:30:00.500+01:00',
      '2021-03-28T00:00:00.000+01:00',
    ]);
  });

  it('writes JSON Lines with raw typed values, text exactly as stored', async () => {
    const { job, file, fileName, contentType } = await exportWith({ format: 'jsonl', time_zone: 'Europe/Berlin' });
    expect(fileName).toMatch(/\.jsonl$/);
    expect(contentType).toBe('application/x-ndjson; charset=utf-8');
    expect(job.options).toMatchObject({ format: 'jsonl' });
    const text = file.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(rows.map((m) => jsonObject(m, ALL_COLUMNS, 'Europe/Berlin')));
    // No neutralisation in JSON: a program reads it, not a spreadsheet.
    expect(lines.some((line) => line.includes('"club_name":" =1+1"'))).toBe(true);
  });

  it('gzips a CSV with options: the file gunzips to the same records', async () => {
    const columns: Column[] = ['id', 'club_name', 'club_city', 'price', 'created_at'];
    const { job, file, fileName, contentType } = await exportWith({ columns, compression: 'gzip', preset: 'excel', locale: 'de-DE' });
    expect(fileName).toMatch(/\.csv\.gz$/);
    expect(contentType).toBe('application/gzip');
    expect(job.options).toMatchObject({ compression: 'gzip' });
    expect(file.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const [header, ...records] = parseCsvDialect(gunzipSync(file), { delimiter: ';', bom: true, lineEnding: 'crlf' });
    expect(header).toEqual(columns);
    expect(records).toEqual(rows.map((m) => csvRecord(m, columns, 'UTC', true)));
  });

  it('emails the file as it downloads: the attachment of an XLSX export is the same bytes, under the same name', async () => {
    const { file, fileName, contentType } = await exportWith({ format: 'xlsx', columns: ['id', 'club_name'] });
    expect(fileName).toMatch(/\.xlsx$/);
    expect(contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    // A ZIP (the cells are read back by LibreOffice in spreadsheet.test.ts).
    expect(file.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const emails = await waitForEmails(platform.sesEndpoint, (email) => email.attachments.some((a) => a.filename === fileName), {
      count: 1,
    });
    expect(isAddressedTo(emails[0]!, platform.user.email)).toBe(true);
    const attachment = emails[0]!.attachments.find((a) => a.filename === fileName)!;
    expect(attachmentContent(attachment).equals(file)).toBe(true);
  });
});
