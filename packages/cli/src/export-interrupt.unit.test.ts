/**
 * The decisions Ctrl+C leads to during `memberships export`, with its
 * collaborators stubbed: the wait (rejects when its signal aborts, as the
 * SDK's does), the question and the cancel request. Ctrl+C itself goes
 * through the real Interrupts, as index.ts's SIGINT handler sends it.
 * The same flows in a real terminal against the real API: export-interrupt.test.ts.
 */
import { ApiError, ExportFailedError, NetworkError, type ExportJob } from '@memberships/sdk';
import { EXIT, InterruptedError, ReportedExit } from './errors.js';
import { cancelQuestion, interruptedRequest, waitOfferingCancel, type WaitOfferingCancelOptions } from './export-interrupt.js';
import { Interrupts } from './interrupts.js';

const job = (state: ExportJob['state']): ExportJob =>
  ({
    id: 'job-1',
    state,
    trigger: 'api',
    created_at: '2026-12-01T05:00:00.000Z',
    updated_at: '2026-12-01T05:00:01.000Z',
    attempts: 1,
    progress: { rows_exported: 10, rows_total: 100 },
    links: { self: '/v1/exports/job-1' },
  }) as ExportJob;

const alreadyFinished = (state: string): ApiError =>
  new ApiError({
    type: 'about:blank',
    title: 'Export already finished',
    status: 409,
    code: 'export_already_finished',
    detail: `Export job-1 is ${state}; only a queued or running export can be canceled.`,
    state,
  });

/** Rejects like a DOM AbortError once `signal` aborts; never settles before. */
function untilAborted<T>(signal: AbortSignal, name = 'AbortError'): Promise<T> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(Object.assign(new Error('aborted'), { name }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

interface Harness {
  readonly interrupts: Interrupts;
  /** What happened, in order: `display stopped`, `asked: …`, `cancel job-1`, `note: …`. */
  readonly events: string[];
  readonly notes: () => string[];
  readonly run: Promise<unknown>;
}

/**
 * Starts waitOfferingCancel with stubs; `pressCtrlC` is sent once the wait is under way.
 * Defaults: a terminal, a wait that lasts until Ctrl+C, and a question nobody answers.
 */
function start(overrides: Partial<WaitOfferingCancelOptions<ExportJob>> & { pressCtrlC?: boolean } = {}): Harness {
  const interrupts = new Interrupts();
  const events: string[] = [];
  const options: WaitOfferingCancelOptions<ExportJob> = {
    jobId: 'job-1',
    askable: true,
    signal: interrupts.signal,
    interrupts,
    wait: (signal) => untilAborted(signal),
    stopDisplay: () => events.push('display stopped'),
    confirm: (message, signal) => {
      events.push(`asked: ${message}`);
      return untilAborted(signal, 'AbortPromptError');
    },
    cancel: async (id) => {
      events.push(`cancel ${id}`);
      return job('canceled');
    },
    note: (line) => events.push(`note: ${line}`),
    ...overrides,
  };
  const run = waitOfferingCancel(options);
  run.catch(() => undefined);
  if (overrides.pressCtrlC ?? true) interrupts.interrupt();
  return {
    interrupts,
    events,
    notes: () => events.filter((event) => event.startsWith('note: ')).map((event) => event.slice('note: '.length)),
    run,
  };
}

/** A confirm stub that answers at once (or fails with `error`). */
const answering =
  (answer: boolean | Error, events?: string[]) =>
  async (message: string): Promise<boolean> => {
    events?.push(`asked: ${message}`);
    if (answer instanceof Error) throw answer;
    return answer;
  };

describe('waitOfferingCancel: without Ctrl+C', () => {
  it('resolves with the finished job and lets go of Ctrl+C afterwards', async () => {
    const done = job('succeeded');
    const { run, interrupts, events } = start({ wait: async () => done, pressCtrlC: false });
    await expect(run).resolves.toBe(done);
    expect(events).toEqual([]);
    // Back to the default: a later Ctrl+C (during the download) aborts the run's signal.
    expect(interrupts.interrupt()).toBe('aborted');
  });

  it('passes on a wait that fails for its own reasons, asking nothing', async () => {
    const failed = new ExportFailedError({ ...job('failed'), error: { code: 'database_unavailable', message: 'no database' } });
    const { run, events } = start({ wait: () => Promise.reject(failed), pressCtrlC: false });
    await expect(run).rejects.toBe(failed);
    expect(events).toEqual([]);
  });
});

describe('waitOfferingCancel: a person at a terminal presses Ctrl+C while it waits', () => {
  it('stops the progress display, then asks whether to cancel, default no', async () => {
    const seen: { message: string; signal: AbortSignal }[] = [];
    const { events, run } = start({
      confirm: async (message, signal) => {
        events.push(`asked: ${message}`);
        seen.push({ message, signal });
        return false;
      },
    });
    await expect(run).rejects.toBeInstanceOf(ReportedExit);
    expect(events.slice(0, 2)).toEqual(['display stopped', 'asked: Cancel export job-1? The file will not be made or emailed.']);
    expect(cancelQuestion('job-1')).toBe('Cancel export job-1? The file will not be made or emailed.');
    expect(seen[0]?.signal.aborted).toBe(false);
  });

  it('yes: cancels the export, says so, and exits 130 without an error line', async () => {
    const events: string[] = [];
    const harness = start({ confirm: answering(true, events) });
    const error = await harness.run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReportedExit);
    expect(error).toMatchObject({ exitCode: EXIT.interrupted });
    expect(harness.events).toContain('cancel job-1');
    expect(harness.notes()).toEqual(['Export job-1 canceled: no file will be made or emailed.']);
  });

  it('no: leaves the export running and says how to follow it (exit 130)', async () => {
    const { run, events, notes } = start({ confirm: answering(false) });
    await expect(run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(events).not.toContain('cancel job-1');
    expect(notes()).toEqual([
      'Export job-1 carries on and will be emailed.',
      'Check on it (memberships exports show job-1) or wait for it again with: memberships export',
    ]);
  });

  it('Ctrl+C at the question (inquirer in raw mode): leaves it running, and says it was not canceled', async () => {
    const exit = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    const { run, events, notes } = start({ confirm: answering(exit) });
    await expect(run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(events).not.toContain('cancel job-1');
    expect(notes()[0]).toBe('Ctrl+C again: export job-1 was not canceled; it carries on and will be emailed.');
    expect(notes()[1]).toContain('memberships exports show job-1');
  });

  it('a second SIGINT while asking (sent from elsewhere) ends the question the same way', async () => {
    const harness = start();
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(harness.events).toContain('asked: Cancel export job-1? The file will not be made or emailed.');
    expect(harness.interrupts.interrupt()).toBe('intercepted');
    await expect(harness.run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(harness.events).not.toContain('cancel job-1');
    expect(harness.notes()[0]).toBe('Ctrl+C again: export job-1 was not canceled; it carries on and will be emailed.');
    // Let go: the run's signal was never aborted, and the next Ctrl+C takes the default path.
    expect(harness.interrupts.signal.aborted).toBe(false);
    expect(harness.interrupts.interrupt()).toBe('aborted');
  });

  it('too late (409, succeeded): says it is done, the email is on its way, and how to download it', async () => {
    const { run, notes } = start({
      confirm: answering(true),
      cancel: () => Promise.reject(alreadyFinished('succeeded')),
      outputFile: 'memberships.csv',
    });
    await expect(run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(notes()).toEqual([
      'Too late to cancel: export job-1 has just succeeded, and its email is on its way.',
      'Download it with: memberships exports download job-1 --output memberships.csv',
    ]);
  });

  it('too late (409, failed or already canceled): says what it ended as', async () => {
    const failed = start({ confirm: answering(true), cancel: () => Promise.reject(alreadyFinished('failed')) });
    await expect(failed.run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(failed.notes()).toEqual([
      'Too late to cancel: export job-1 has just failed, so nothing will be emailed.',
      'See why with: memberships exports show job-1',
    ]);
    const canceled = start({ confirm: answering(true), cancel: () => Promise.reject(alreadyFinished('canceled')) });
    await expect(canceled.run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(canceled.notes()).toEqual(['Export job-1 was already canceled: no file will be made or emailed.']);
  });

  it('a cancel that fails otherwise: says it was not canceled, and passes the reason on for the error line', async () => {
    const down = new NetworkError(
      'https://api.example/v1/exports/job-1/cancel',
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    );
    const { run, notes } = start({ confirm: answering(true), cancel: () => Promise.reject(down) });
    await expect(run).rejects.toBe(down);
    expect(notes()).toEqual([
      'Export job-1 was not canceled; it may carry on and be emailed. Try again with: memberships exports cancel job-1',
    ]);
  });

  it('Ctrl+C during the cancel request: says it may or may not have reached the API', async () => {
    const harness = start({
      confirm: answering(true),
      cancel: (_id, signal) => {
        // The person presses Ctrl+C again while the request is on its way.
        setImmediate(() => harness.interrupts.interrupt());
        return untilAborted(signal);
      },
    });
    await expect(harness.run).rejects.toMatchObject({ exitCode: EXIT.interrupted });
    expect(harness.notes()).toEqual([
      'Ctrl+C again: the cancel of export job-1 may or may not have reached the API.',
      'Check on it (memberships exports show job-1) or cancel it with: memberships exports cancel job-1',
    ]);
  });
});

describe('waitOfferingCancel: nobody to ask (no terminal, --json, CI)', () => {
  it('never asks: exit 130, and the hint names the export and the command that cancels it', async () => {
    const harness = start({ askable: false });
    const error = await harness.run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InterruptedError);
    expect(error).toMatchObject({
      exitCode: EXIT.interrupted,
      suggestion:
        'Export job-1 carries on and will be emailed. Check on it (memberships exports show job-1) or cancel it with: memberships exports cancel job-1',
    });
    expect(harness.events).toEqual([]);
  });

  it('leaves Ctrl+C to the default path, which aborts the run (and arms the exit timer)', async () => {
    const harness = start({ askable: false });
    expect(harness.interrupts.signal.aborted).toBe(true);
    await expect(harness.run).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('interruptedRequest: Ctrl+C before the export has an id', () => {
  it('before the request: nothing was requested', () => {
    expect(interruptedRequest(false, undefined)).toMatchObject({ exitCode: 130, suggestion: 'Nothing was requested.' });
  });

  it('during the request with an idempotency key: the same command again is safe', () => {
    expect(interruptedRequest(true, 'nightly-2026-12-01').suggestion).toBe(
      'The export may or may not have been requested. Run the same command again (with --idempotency-key nightly-2026-12-01): ' +
        'it follows that export if it was made, and requests it if not.',
    );
  });

  it('during the request without one: where to look, and that export follows one under way', () => {
    expect(interruptedRequest(true, undefined).suggestion).toBe(
      'The export may or may not have been requested. See with: memberships exports list ' +
        '(memberships export follows an export under way instead of starting another).',
    );
  });
});
