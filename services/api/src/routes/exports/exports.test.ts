import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { EXPORT_COLUMN_NAMES, EXPORT_REQUESTED, parseMessage, type ExportRequested } from '@memberships/core/contract';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { acknowledgeIamDenials, drainQueue } from '@memberships/local-platform';
import { bearer, startTestApp, type Member, type TestApp } from '../../testing/test-app';
import { DEFAULT_OPTIONS_RESOURCE } from '../../testing/default-options';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const member = () => t.member();

const requestExport = (who: Member, headers: Record<string, string> = {}, payload?: unknown) =>
  t.request({
    method: 'POST',
    url: '/v1/exports',
    headers: { ...bearer(who.token), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const get = (who: Member, url: string) => t.request({ method: 'GET', url, headers: bearer(who.token) });

/** The export.requested messages on the queue for this user (taken off the queue). */
async function messagesFor(who: Member): Promise<ExportRequested[]> {
  const messages = await drainQueue(t.harness.sqs, t.platform.exportQueueUrl, { waitSeconds: 1 });
  return messages.flatMap(({ Body }) => {
    const parsed = parseMessage(Body ?? '');
    return parsed.ok && parsed.message.type === EXPORT_REQUESTED && parsed.message.userId === who.user.id ? [parsed.message] : [];
  });
}

/** Fails the job the way the worker's last attempt would, so the user can export again. */
async function failJob(jobId: string): Promise<void> {
  expect(await t.app.jobStore.fail(jobId, { code: 'export_query_failed', message: 'The export query failed.' })).toBe(true);
}

/** Does what the worker does for a successful export: stores the file, then completes the job. */
async function completeJob(who: Member, jobId: string, csv: string): Promise<{ key: string; sha256: string }> {
  const key = `exports/${who.user.id}/${jobId}.csv`;
  const sha256 = createHash('sha256').update(csv).digest('hex');
  await t.harness.s3.send(
    new PutObjectCommand({ Bucket: t.config.exportBucket, Key: key, Body: csv, ContentType: 'text/csv; charset=utf-8' }),
  );
  const claim = await t.app.jobStore.claim(jobId, 'test-worker', 60_000);
  expect(claim.claimed).toBe(true);
  await t.app.jobStore.complete(
    jobId,
    'test-worker',
    { key, rows: 2, bytes: Buffer.byteLength(csv), sha256, contentType: 'text/csv; charset=utf-8' },
    { method: 'attachment', to: who.user.email, emailedAt: t.clock.now().toISOString() },
  );
  return { key, sha256 };
}

const PUBLIC_JOB_FIELDS = [
  'id',
  'state',
  'trigger',
  'created_at',
  'updated_at',
  'started_at',
  'finished_at',
  'attempts',
  'progress',
  'options',
  'file',
  'delivery',
  'error',
  'expires_at',
  'links',
];

describe('POST /v1/exports', () => {
  it('accepts the export: 202, Location, the queued job, and an export.requested message on the queue', async () => {
    const alice = await member();
    const response = await requestExport(alice);

    expect(response.statusCode).toBe(202);
    const job = response.json();
    expect(response.headers.location).toBe(`/v1/exports/${job.id}`);
    expect(response.headers['export-request']).toBeUndefined();
    expect(job).toEqual({
      id: expect.any(String),
      state: 'queued',
      trigger: 'api',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: job.created_at,
      attempts: 0,
      progress: { rows_exported: 0, rows_total: null },
      options: DEFAULT_OPTIONS_RESOURCE,
      links: { self: `/v1/exports/${job.id}` },
    });
    expect(response.body).not.toContain(alice.user.id);

    expect(await messagesFor(alice)).toEqual([
      {
        type: 'export.requested',
        version: 2,
        jobId: job.id,
        userId: alice.user.id,
        trigger: 'api',
        requestedAt: job.created_at,
        options: DEFAULT_OPTIONS_RESOURCE,
      },
    ]);

    const polled = await get(alice, response.headers.location as string);
    expect(polled.statusCode).toBe(200);
    expect(polled.json()).toEqual(job);
  });

  it('returns the queued export instead of starting a second one, with Export-Request: existing', async () => {
    const bob = await member();
    const first = await requestExport(bob);
    const second = await requestExport(bob);

    expect(second.statusCode).toBe(202);
    expect(second.headers['export-request']).toBe('existing');
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.json()).toEqual(first.json());
    expect(await messagesFor(bob)).toHaveLength(1);
  });

  it('creates one export for simultaneous requests of the same user', async () => {
    const eager = await member();
    const responses = await Promise.all(Array.from({ length: 5 }, () => requestExport(eager)));

    expect(responses.map((response) => response.statusCode)).toEqual([202, 202, 202, 202, 202]);
    const ids = new Set(responses.map((response) => response.json().id));
    expect(ids.size).toBe(1);
    expect(responses.filter((response) => response.headers['export-request'] === undefined)).toHaveLength(1);
    expect(await messagesFor(eager)).toHaveLength(1);
  });

  it('replays an Idempotency-Key: the same export, even after it finished; other keys and users are separate', async () => {
    const carol = await member();
    const key = `retry-${randomUUID()}`;
    const first = await requestExport(carol, { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    await failJob(first.json().id);

    const replay = await requestExport(carol, { 'idempotency-key': key });
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['export-request']).toBe('existing');
    expect(replay.json()).toMatchObject({ id: first.json().id, state: 'failed' });

    const fresh = await requestExport(carol);
    expect(fresh.statusCode).toBe(202);
    expect(fresh.headers['export-request']).toBeUndefined();
    expect(fresh.json().id).not.toBe(first.json().id);

    const dave = await member();
    const sameKeyOtherUser = await requestExport(dave, { 'idempotency-key': key });
    expect(sameKeyOtherUser.headers['export-request']).toBeUndefined();
    expect(sameKeyOtherUser.json().id).not.toBe(first.json().id);

    expect((await messagesFor(carol)).map((message) => message.jobId)).toEqual([first.json().id, fresh.json().id]);
  });

  it('rejects a malformed Idempotency-Key, naming the header', async () => {
    const erin = await member();
    for (const key of ['has space', 'x'.repeat(201), 'ümlaut']) {
      const response = await requestExport(erin, { 'idempotency-key': key });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'headers', field: 'idempotency-key' }] });
    }
    expect(await messagesFor(erin)).toEqual([]);
  });

  it('takes an empty JSON object as the defaults, like no body', async () => {
    const frank = await member();
    const empty = await requestExport(frank, {}, {});
    expect(empty.statusCode).toBe(202);
    expect(empty.json().options).toEqual(DEFAULT_OPTIONS_RESOURCE);
    expect(await messagesFor(frank)).toMatchObject([{ version: 2, options: DEFAULT_OPTIONS_RESOURCE }]);
  });

  it('marks the export failed and answers 503 when the queue cannot take the message, so nothing stays queued', async () => {
    const broken = await startTestApp({
      platform: t.platform,
      keys: t.keys,
      env: { EXPORT_QUEUE_URL: `${t.platform.aws.endpoints.sqs}/000000000000/no-such-queue-${randomUUID()}` },
    });
    try {
      const grace = await member();
      const response = await broken.request({ method: 'POST', url: '/v1/exports', headers: bearer(grace.token) });

      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.headers['retry-after']).toBeDefined();
      expect(response.json()).toMatchObject({ status: 503, code: 'enqueue_failed' });
      expect(response.body).not.toMatch(/no-such-queue|QueueDoesNotExist|NonExistentQueue/i);
      // In AWS the task role may send only to the export queue: the call is refused, AccessDenied.
      expect(await acknowledgeIamDenials('no-such-queue-')).toBeGreaterThanOrEqual(1);

      const listed = (await get(grace, '/v1/exports')).json();
      expect(listed.items).toHaveLength(1);
      expect(listed.items[0]).toMatchObject({ state: 'failed', error: { code: 'enqueue_failed' } });

      // The failed attempt does not block the next one.
      const retry = await requestExport(grace);
      expect(retry.statusCode).toBe(202);
      expect(retry.headers['export-request']).toBeUndefined();
      expect(retry.json().id).not.toBe(listed.items[0].id);
      expect(await messagesFor(grace)).toHaveLength(1);
    } finally {
      await broken.close();
    }
  });
});

describe('POST /v1/exports with options', () => {
  it('stores the complete options on the job, shows them on it, and sends them in the version 2 message', async () => {
    const gina = await member();
    const response = await requestExport(
      gina,
      {},
      {
        columns: ['club_name', 'id', 'price', 'created_at'],
        filters: {
          status: ['paused', 'active'],
          club_name: "Zürich O'Neill;=1+1",
          started_on: { from: '2026-01-01' },
          active_on: '2026-06-30',
        },
        preset: 'excel',
        locale: 'de-DE',
        time_zone: 'europe/berlin',
        compression: 'gzip',
      },
    );
    expect(response.statusCode).toBe(202);
    const options = {
      columns: ['club_name', 'id', 'price', 'created_at'],
      filters: {
        status: ['paused', 'active'],
        club_name: "Zürich O'Neill;=1+1",
        started_on: { from: '2026-01-01' },
        active_on: '2026-06-30',
      },
      format: 'csv',
      delimiter: ';',
      bom: true,
      line_ending: 'crlf',
      decimal_separator: ',',
      time_zone: 'Europe/Berlin',
      compression: 'gzip',
    };
    expect(response.json().options).toEqual(options);

    // Stored on the job record as the worker reads it (the record decides what the file is).
    const stored = await t.app.jobStore.get(response.json().id);
    expect(stored?.options).toEqual({
      columns: ['club_name', 'id', 'price', 'created_at'],
      filters: { status: ['paused', 'active'], clubName: "Zürich O'Neill;=1+1", startedOn: { from: '2026-01-01' }, activeOn: '2026-06-30' },
      format: 'csv',
      csv: { delimiter: ';', bom: true, lineEnding: 'crlf', decimalSeparator: ',' },
      timeZone: 'Europe/Berlin',
      compression: 'gzip',
    });
    expect((await get(gina, response.headers.location as string)).json().options).toEqual(options);
    expect(await messagesFor(gina)).toEqual([expect.objectContaining({ version: 2, jobId: response.json().id, options })]);
  });

  it('shows no CSV dialect on an xlsx or jsonl export', async () => {
    const hugo = await member();
    const response = await requestExport(hugo, {}, { format: 'xlsx', columns: ['notes'] });
    expect(response.statusCode).toBe(202);
    expect(response.json().options).toEqual({ columns: ['notes'], filters: {}, format: 'xlsx', time_zone: 'UTC', compression: 'none' });
    await failJob(response.json().id);
    const jsonl = await requestExport(hugo, {}, { format: 'jsonl' });
    expect(jsonl.json().options).toEqual({
      columns: EXPORT_COLUMN_NAMES,
      filters: {},
      format: 'jsonl',
      time_zone: 'UTC',
      compression: 'none',
    });
  });

  it('lists every bad field of the body in one validation_failed problem, and creates nothing', async () => {
    const ivan = await member();
    const response = await requestExport(
      ivan,
      {},
      {
        columns: ['id', 'password', 'id'],
        filters: { status: ['active', 'gone'], started_on: { from: '2026-03-01', to: '2026-02-01' }, ends_on: { to: 20261231 }, club: 'x' },
        format: 'pdf',
        delimiter: '|',
        bom: 'yes',
        line_ending: 'cr',
        locale: 'de-DE',
        time_zone: 'Mars/Olympus_Mons',
        compression: 'zip',
        sheet_name: 'x',
      },
    );
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.every((error: { in: string }) => error.in === 'body')).toBe(true);
    expect(problem.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      [
        'columns.1',
        'columns.2',
        'filters.status.1',
        'filters.started_on',
        'filters.ends_on.to',
        'filters.club',
        'format',
        'delimiter',
        'bom',
        'line_ending',
        'locale',
        'time_zone',
        'compression',
        'sheet_name',
      ].sort(),
    );
    expect(problem.errors).toContainEqual({ in: 'body', field: 'filters.started_on', message: 'from is after to' });
    expect(await messagesFor(ivan)).toEqual([]);
    expect((await get(ivan, '/v1/exports')).json().items).toEqual([]);
  });

  it.each([
    ['an array', ['csv'], ''],
    ['CSV fields on another format', { format: 'jsonl', bom: true }, 'bom'],
    ['no columns', { columns: [] }, 'columns'],
    ['a club name of control characters', { filters: { club_name: 'a\u0000b' } }, 'filters.club_name'],
  ])('rejects %s with validation_failed naming the field', async (_case, payload, field) => {
    const june = await member();
    const response = await requestExport(june, {}, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field }] });
  });

  it('replays an Idempotency-Key with the same options (spelled otherwise too); another body under it is a 422', async () => {
    const kim = await member();
    const key = `options-${randomUUID()}`;
    const first = await requestExport(kim, { 'idempotency-key': key }, { format: 'jsonl', filters: { status: ['active', 'paused'] } });
    expect(first.statusCode).toBe(202);

    const same = await requestExport(kim, { 'idempotency-key': key }, { filters: { status: ['paused', 'active'] }, format: 'jsonl' });
    expect(same.statusCode).toBe(202);
    expect(same.headers['export-request']).toBe('existing');
    expect(same.json().id).toBe(first.json().id);

    for (const other of [{}, { format: 'jsonl' }, { format: 'jsonl', filters: { status: ['active'] } }, { format: 'xlsx' }]) {
      const reused = await requestExport(kim, { 'idempotency-key': key }, other);
      expect(reused.statusCode).toBe(422);
      expect(reused.headers['content-type']).toContain('application/problem+json');
      expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused', status: 422, export_id: first.json().id });
    }
    // Still after the first export finished: the key stays bound to its options.
    await failJob(first.json().id);
    expect((await requestExport(kim, { 'idempotency-key': key })).statusCode).toBe(422);
    expect(
      (await requestExport(kim, { 'idempotency-key': key }, { format: 'jsonl', filters: { status: ['active', 'paused'] } })).json(),
    ).toMatchObject({
      id: first.json().id,
      state: 'failed',
    });
    expect((await messagesFor(kim)).map((message) => message.jobId)).toEqual([first.json().id]);
  });

  it('refuses with 422 a reused key whose concurrent first request is still being written', async () => {
    const lee = await member();
    const key = `race-${randomUUID()}`;
    const responses = await Promise.all([
      requestExport(lee, { 'idempotency-key': key }, { format: 'xlsx' }),
      requestExport(lee, { 'idempotency-key': key }, { format: 'jsonl' }),
    ]);
    // One wins; the other is the same key with another body, whichever way the race goes (or a conflict to retry).
    const codes = responses.map((response) => response.statusCode).sort();
    expect([
      [202, 422],
      [202, 409],
    ]).toContainEqual(codes);
    const created = responses.find((response) => response.statusCode === 202)!;
    const retried = await requestExport(
      lee,
      { 'idempotency-key': key },
      { format: created.json().options.format === 'xlsx' ? 'jsonl' : 'xlsx' },
    );
    expect(retried.statusCode).toBe(422);
  });

  it('shows the defaults on a job stored before options existed, and a key of before options replays only the defaults', async () => {
    const mia = await member();
    const jobId = randomUUID();
    const now = t.clock.now().toISOString();
    // As JobStore wrote jobs and their idempotency guards before options: no options, no fingerprint.
    const expiresAt = { N: String(Math.floor(Date.now() / 1000) + 86400) };
    await t.harness.dynamodb.send(
      new PutItemCommand({
        TableName: t.config.tables.jobs,
        Item: {
          id: { S: jobId },
          userId: { S: mia.user.id },
          state: { S: 'failed' },
          trigger: { S: 'api' },
          createdAt: { S: now },
          updatedAt: { S: now },
          finishedAt: { S: now },
          attempts: { N: '1' },
          rowsExported: { N: '0' },
          rowsTotal: { NULL: true },
          error: { M: { code: { S: 'export_query_failed' }, message: { S: 'The export query failed.' } } },
          expiresAt,
        },
      }),
    );
    const key = `old-${randomUUID()}`;
    await t.harness.dynamodb.send(
      new PutItemCommand({
        TableName: t.config.tables.guards,
        Item: { key: { S: `idem#${mia.user.id}#${key}` }, jobId: { S: jobId }, expiresAt },
      }),
    );

    const shown = await get(mia, `/v1/exports/${jobId}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().options).toEqual(DEFAULT_OPTIONS_RESOURCE);
    expect((await get(mia, '/v1/exports')).json().items[0].options).toEqual(DEFAULT_OPTIONS_RESOURCE);

    expect((await requestExport(mia, { 'idempotency-key': key })).json()).toMatchObject({ id: jobId });
    expect((await requestExport(mia, { 'idempotency-key': key }, { format: 'xlsx' })).statusCode).toBe(422);
  });
});

describe('GET /v1/exports/{id}', () => {
  it("answers 404 export_not_found for another user's export and for an unknown id", async () => {
    const owner = await member();
    const other = await member();
    const { id } = (await requestExport(owner)).json();

    for (const response of [await get(other, `/v1/exports/${id}`), await get(owner, `/v1/exports/${randomUUID()}`)]) {
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404, code: 'export_not_found' });
    }
    expect((await get(owner, `/v1/exports/${id}`)).statusCode).toBe(200);
    await messagesFor(owner);
  });
});

describe('GET /v1/exports', () => {
  it('lists only your exports, newest first, page by page', async () => {
    const lister = await member();
    const bystander = await member();
    await requestExport(bystander);
    const created: string[] = [];
    try {
      for (let i = 0; i < 5; i += 1) {
        const response = await requestExport(lister);
        expect(response.headers['export-request']).toBeUndefined();
        created.push(response.json().id);
        await failJob(response.json().id);
        t.clock.advance(1_000);
      }
    } finally {
      t.clock.reset();
    }
    const newestFirst = [...created].reverse();

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '2', ...(cursor ? { cursor } : {}) });
      const response = await get(lister, `/v1/exports?${query}`);
      expect(response.statusCode).toBe(200);
      const page = response.json();
      for (const item of page.items) expect(PUBLIC_JOB_FIELDS).toEqual(expect.arrayContaining(Object.keys(item)));
      seen.push(...page.items.map((item: { id: string }) => item.id));
      pageSizes.push(page.items.length);
      cursor = page.next_cursor;
    } while (cursor && pageSizes.length < 10);

    expect(seen).toEqual(newestFirst);
    expect(pageSizes.slice(0, 2)).toEqual([2, 2]);

    const all = (await get(lister, '/v1/exports')).json();
    expect(all.items.map((item: { id: string }) => item.id)).toEqual(newestFirst);
    expect(all.next_cursor).toBeUndefined();
    await messagesFor(lister);
  });

  it('rejects a malformed cursor and a cursor from another user with 400 invalid_cursor', async () => {
    const one = await member();
    const two = await member();
    for (const who of [one, two]) {
      await failJob((await requestExport(who)).json().id);
      t.clock.advance(1_000);
      await requestExport(who);
    }
    t.clock.reset();
    const twoCursor = (await get(two, '/v1/exports?limit=1')).json().next_cursor as string;
    expect(twoCursor).toEqual(expect.any(String));

    for (const cursor of ['garbage', twoCursor]) {
      const response = await get(one, `/v1/exports?cursor=${encodeURIComponent(cursor)}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ status: 400, code: 'invalid_cursor' });
    }
    await messagesFor(one);
  });

  it('answers 400 invalid_cursor for a well-formed cursor with empty, mistyped, missing or extra fields, never a 500', async () => {
    const one = await member();
    const two = await member();
    const jobs: Record<string, string[]> = {};
    for (const who of [one, two]) {
      jobs[who.user.id] = [];
      const first = (await requestExport(who)).json().id as string;
      await failJob(first);
      t.clock.advance(1_000);
      jobs[who.user.id]!.push(first, (await requestExport(who)).json().id as string);
    }
    t.clock.reset();
    const cursorOf = async (who: Member) => (await get(who, '/v1/exports?limit=1')).json().next_cursor as string;
    const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const mine = decode(await cursorOf(one));
    const theirs = decode(await cursorOf(two));
    // The shape the API issues: the position in the user's listing.
    expect(Object.keys(mine).sort()).toEqual(['createdAt', 'id', 'userId']);

    const bad: unknown[] = [
      { ...mine, id: '' },
      { ...mine, createdAt: '' },
      { ...mine, userId: '' },
      { id: '', userId: '', createdAt: '' },
      { ...mine, id: 1 },
      { ...mine, createdAt: 1_700_000_000 },
      { ...mine, userId: null },
      { ...mine, id: { S: 'x' } },
      { ...mine, id: ['x'] },
      { ...mine, extra: 'field' },
      { ...mine, leaseOwner: 'worker' },
      { id: mine.id, userId: mine.userId },
      { ...mine, createdAt: 'yesterday' },
      { ...mine, id: 'a b' },
      { ...mine, id: 'x'.repeat(300) },
      theirs,
      { ...theirs, id: mine.id, createdAt: mine.createdAt },
      [],
      'cursor',
      42,
      null,
    ];
    for (const value of bad) {
      const response = await get(one, `/v1/exports?cursor=${encodeURIComponent(encode(value))}`);
      expect({ value, status: response.statusCode }).toEqual({ value, status: 400 });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'invalid_cursor' });
    }

    // The own cursor, and one that points at another user's export in the own listing, show only the own exports.
    for (const cursor of [encode(mine), encode({ ...mine, id: theirs.id, createdAt: theirs.createdAt })]) {
      const response = await get(one, `/v1/exports?cursor=${encodeURIComponent(cursor)}`);
      expect(response.statusCode).toBe(200);
      for (const item of response.json().items as { id: string }[]) expect(jobs[one.user.id]).toContain(item.id);
    }
    await messagesFor(one);
    await messagesFor(two);
  });

  it('bounds the page size to 1..100', async () => {
    const someone = await member();
    for (const limit of ['0', '101', 'ten']) {
      const response = await get(someone, `/v1/exports?limit=${limit}`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'querystring', field: 'limit' }] });
    }
    expect((await get(someone, '/v1/exports?limit=100')).statusCode).toBe(200);
  });

  it('answers 400 validation_failed for a page size that is not a plain decimal integer, never a 500', async () => {
    const someone = await member();
    const limits = [
      'Infinity',
      '-Infinity',
      '1e309',
      'NaN',
      '1.5',
      '0',
      '-1',
      '99999999999999999999999',
      `1${'0'.repeat(400)}`,
      '1e1',
      '0x10',
      ' 5',
      '',
    ];
    for (const limit of limits) {
      const response = await get(someone, `/v1/exports?limit=${encodeURIComponent(limit)}`);
      expect({ limit, status: response.statusCode, type: response.headers['content-type'] }).toEqual({
        limit,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'querystring', field: 'limit' }] });
    }
    expect((await get(someone, '/v1/exports?limit=1')).statusCode).toBe(200);
  });
});

describe('GET /v1/exports/{id}/download', () => {
  it('answers 409 export_not_ready while the export is queued or running', async () => {
    const waiter = await member();
    const { id } = (await requestExport(waiter)).json();

    const queued = await get(waiter, `/v1/exports/${id}/download`);
    expect(queued.statusCode).toBe(409);
    expect(queued.json()).toMatchObject({ code: 'export_not_ready', state: 'queued' });

    expect((await t.app.jobStore.claim(id, 'test-worker', 60_000)).claimed).toBe(true);
    const running = await get(waiter, `/v1/exports/${id}/download`);
    expect(running.statusCode).toBe(409);
    expect(running.json()).toMatchObject({ code: 'export_not_ready', state: 'running' });
    await messagesFor(waiter);
  });

  it('redirects to a short-lived URL that downloads the finished file', async () => {
    const owner = await member();
    const { id } = (await requestExport(owner)).json();
    const csv = 'id,club_name\r\n1,"Chess, Tokyo 東京"\r\n2,\'=SUM(A1)\r\n';
    const { key, sha256 } = await completeJob(owner, id, csv);

    const job = (await get(owner, `/v1/exports/${id}`)).json();
    expect(job).toMatchObject({
      state: 'succeeded',
      file: { rows: 2, bytes: Buffer.byteLength(csv), sha256, content_type: 'text/csv; charset=utf-8' },
      delivery: { method: 'attachment', to: owner.user.email },
      links: { self: `/v1/exports/${id}`, download: `/v1/exports/${id}/download` },
    });
    expect(JSON.stringify(job)).not.toContain(key);

    const response = await get(owner, job.links.download);
    expect(response.statusCode).toBe(302);
    expect(response.headers['cache-control']).toBe('no-store');
    const location = response.headers.location as string;
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('300');
    // Downloads under the name the email gives the file (the day it was requested, and its id); S3 answers
    // with this header (the emulator does so only for an object stored with one, as the worker stores them).
    const fileName = `memberships-${job.created_at.slice(0, 10)}-${id}.csv`;
    const disposition = `attachment; filename="${fileName}"; filename*=UTF-8''${fileName}`;
    expect(new URL(location).searchParams.get('response-content-disposition')).toBe(disposition);

    const file = await fetch(location);
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.toString('utf8')).toBe(csv);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
    await messagesFor(owner);
  });

  it("answers 404 for another user's export, 409 export_failed for a failed one, 410 once the file has expired", async () => {
    const owner = await member();
    const intruder = await member();
    const { id } = (await requestExport(owner)).json();
    await completeJob(owner, id, 'id\r\n');

    const foreign = await get(intruder, `/v1/exports/${id}/download`);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'export_not_found' });

    try {
      t.clock.advance(8 * 86_400_000);
      // A token from 8 days ago has long expired: log in again at the new time.
      const later = { ...owner, token: await t.login(owner.user) };
      const expired = await get(later, `/v1/exports/${id}/download`);
      expect(expired.statusCode).toBe(410);
      expect(expired.json()).toMatchObject({ code: 'export_file_expired' });
    } finally {
      t.clock.reset();
    }

    const failed = (await requestExport(owner)).json();
    await failJob(failed.id);
    const response = await get(owner, `/v1/exports/${failed.id}/download`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'export_failed', state: 'failed' });
    await messagesFor(owner);
  });
});

describe('a queued export whose message was never sent (the API died in between)', () => {
  /** What the API leaves behind when it dies after creating the job and before sending its message. */
  async function strandedJob(who: Member): Promise<string> {
    const { job, created } = await t.app.jobStore.create({ userId: who.user.id, trigger: 'api' });
    expect(created).toBe(true);
    return job.id;
  }

  it('sends the message again when the user asks after REQUEUE_AFTER_SECONDS (120), once per interval', async () => {
    const henry = await member();
    const jobId = await strandedJob(henry);
    try {
      // Too early to tell a lost message from a busy queue: the job is returned, nothing is sent.
      const early = await requestExport(henry);
      expect(early.statusCode).toBe(202);
      expect(early.headers['export-request']).toBe('existing');
      expect(early.json().id).toBe(jobId);
      expect(await messagesFor(henry)).toEqual([]);

      t.clock.advance(121_000);
      const late = await requestExport(henry);
      expect(late.statusCode).toBe(202);
      expect(late.json()).toMatchObject({ id: jobId, state: 'queued' });
      const [message, ...more] = await messagesFor(henry);
      expect(more).toEqual([]);
      expect(message).toEqual({
        type: 'export.requested',
        version: 2,
        jobId,
        userId: henry.user.id,
        trigger: 'api',
        requestedAt: late.json().created_at,
        options: DEFAULT_OPTIONS_RESOURCE,
      });

      // Asking again at once sends nothing more; after another interval, once more.
      await Promise.all([requestExport(henry), requestExport(henry)]);
      expect(await messagesFor(henry)).toEqual([]);
      t.clock.advance(121_000);
      await requestExport(henry);
      expect((await messagesFor(henry)).map((sent) => sent.jobId)).toEqual([jobId]);
    } finally {
      t.clock.reset();
    }
  });

  it('leaves alone a queued export a worker has already started once (released for a retry)', async () => {
    const iris = await member();
    const jobId = await strandedJob(iris);
    expect((await t.app.jobStore.claim(jobId, 'test-worker', 60_000)).claimed).toBe(true);
    await t.app.jobStore.release(jobId, 'test-worker');
    try {
      t.clock.advance(10 * 60_000);
      const later = { ...iris, token: await t.login(iris.user) };
      const response = await requestExport(later);
      expect(response.json()).toMatchObject({ id: jobId, state: 'queued', attempts: 1 });
      expect(await messagesFor(iris)).toEqual([]);
    } finally {
      t.clock.reset();
    }
  });
});

describe('request rate limits (per user, per instance)', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({
      platform: t.platform,
      keys: t.keys,
      env: { EXPORT_READ_RATE_LIMIT: '3', EXPORT_WRITE_RATE_LIMIT: '2', RATE_LIMIT_WINDOW_SECONDS: '60' },
    });
  });

  afterAll(async () => {
    await limited?.close();
  });

  const call = (who: Member, method: string, url: string) => limited.request({ method, url, headers: bearer(who.token) });

  function expectRateLimited(response: { statusCode: number; headers: Record<string, string | undefined>; json(): any }) {
    expect(response.statusCode).toBe(429);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(response.json()).toMatchObject({ status: 429, code: 'rate_limited', retry_after: retryAfter });
  }

  it('answers 429 rate_limited with Retry-After once a user has used up the reads of the window; other users go on', async () => {
    const busy = await member();
    const calm = await member();
    const missing = `/v1/exports/${randomUUID()}`;
    // One budget for all the export reads.
    expect((await call(busy, 'GET', '/v1/exports')).statusCode).toBe(200);
    expect((await call(busy, 'GET', missing)).statusCode).toBe(404);
    expect((await call(busy, 'GET', `${missing}/download`)).statusCode).toBe(404);
    expectRateLimited(await call(busy, 'GET', '/v1/exports'));

    expect((await call(calm, 'GET', '/v1/exports')).statusCode).toBe(200);
  });

  it('limits creating exports separately from reading them', async () => {
    const eager = await member();
    for (let i = 0; i < 2; i += 1) expect((await call(eager, 'POST', '/v1/exports')).statusCode).toBe(202);
    expectRateLimited(await call(eager, 'POST', '/v1/exports'));
    expect((await call(eager, 'GET', '/v1/exports')).statusCode).toBe(200);
    expect(await messagesFor(eager)).toHaveLength(1);
  });
});
