/**
 * Both versions of `export.requested` through the worker in-process, against
 * the real emulators and PostgreSQL: version 1 (queued before the API that
 * sends version 2 was deployed) still makes the default file, and with
 * version 2 the job record's options decide what the file is, whatever the
 * message says; the message's are logged for a look.
 */
import { DEFAULT_EXPORT_OPTIONS, exportOptionsResource, isFinal, parseExportOptions } from '@memberships/core/contract';
import { seedMemberships, waitFor } from '@memberships/local-platform';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

describe('export.requested versions', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('handles a version 1 message (no options) of a job from before options: the default CSV file', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 30);
    const { job } = await env.jobs.create({ userId: user.id, trigger: 'api' });
    const { logs } = await startWorker(env);

    await env.send(
      JSON.stringify({ type: 'export.requested', version: 1, jobId: job.id, userId: user.id, trigger: 'api', requestedAt: job.createdAt }),
    );
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    expect(done).toMatchObject({ state: 'succeeded', file: { rows: seeded.inserted, contentType: 'text/csv; charset=utf-8' } });
    expect(done.file?.key).toMatch(/\.csv$/);
    const file = await env.getObject(done.file!.key);
    expect(file.body.toString('utf8').split('\n')[0]).toBe(DEFAULT_EXPORT_OPTIONS.columns.join(','));
    // The job is recorded done just before its line is logged.
    await waitFor('the export to be logged as succeeded', async () => {
      const found = logs.find({ jobId: job.id, messageVersion: 1, msg: 'export succeeded' });
      return found.length === 1 ? found : undefined;
    });
    expect(logs.find({ jobId: job.id, msg: 'export requested with options' })).toEqual([]);
  });

  it("makes the file the job record's options say, not the version 2 message's, and logs what the message asked for", async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 25);
    const parsed = parseExportOptions({ columns: ['id', 'club_name'], format: 'jsonl' });
    if (!parsed.ok) throw new Error('test options invalid');
    const { job } = await env.jobs.create({ userId: user.id, trigger: 'api', options: parsed.options });
    const { logs } = await startWorker(env);

    // A message that disagrees with its record (it cannot happen through the API): the record wins.
    const asked = exportOptionsResource(DEFAULT_EXPORT_OPTIONS);
    await env.send(
      JSON.stringify({
        type: 'export.requested',
        version: 2,
        jobId: job.id,
        userId: user.id,
        trigger: 'api',
        requestedAt: job.createdAt,
        options: asked,
      }),
    );
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    expect(done.state).toBe('succeeded');
    expect(done.file?.key).toMatch(/\.jsonl$/);
    const lines = (await env.getObject(done.file!.key)).body.toString('utf8').trim().split('\n');
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['id', 'club_name']);
    await waitFor('the message options in the logs', async () => {
      const found = logs.find({ jobId: job.id, messageVersion: 2, msg: 'export requested with options' });
      return found.length === 1 ? found : undefined;
    });
    expect(logs.find({ jobId: job.id, msg: 'export requested with options' })[0]).toMatchObject({ requestedOptions: asked });
  });
});
