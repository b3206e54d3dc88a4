/**
 * What Ctrl+C does during `memberships export`, kept apart from commander and
 * inquirer (its collaborators come in as functions) so every branch is tested
 * with stubs.
 *
 * While the export is awaited, a person at a terminal (stdin and stderr
 * terminals, no --json, not CI) is asked whether to cancel it: yes cancels it,
 * no, or a second Ctrl+C at the question, leaves it running. Anyone else (a
 * script, a CI log) is never asked: the export carries on and the hint names
 * the command that cancels it. Before the export has an id, Ctrl+C only
 * aborts the request, and says whether it may have been made.
 *
 * Every way out is exit code 130: the command was interrupted, whatever became
 * of the export, so a script never takes an interrupted export for a done one.
 */
import { ApiError, type ExportJob } from '@memberships/sdk';
import { EXIT, InterruptedError, ReportedExit } from './errors.js';
import type { Interrupts } from './interrupts.js';

export interface WaitOfferingCancelOptions<T> {
  readonly jobId: string;
  /** Can a person answer a question: stdin and stderr terminals, no --json, not CI? */
  readonly askable: boolean;
  /** The run's Ctrl+C signal, aborted when nothing intercepts Ctrl+C. */
  readonly signal: AbortSignal;
  readonly interrupts: Pick<Interrupts, 'intercept'>;
  /** `--output FILE`, for the download command given when the export finished meanwhile. */
  readonly outputFile?: string | undefined;
  /** The wait itself; rejects once `signal` aborts. */
  wait(signal: AbortSignal): Promise<T>;
  /** Called at Ctrl+C before anything is printed: the progress line goes. */
  stopDisplay(): void;
  /** A yes/no question, default no; rejects (ExitPromptError, AbortPromptError) on Ctrl+C or when `signal` aborts. */
  confirm(message: string, signal: AbortSignal): Promise<boolean>;
  cancel(id: string, signal: AbortSignal): Promise<ExportJob>;
  /** A line for the person, on stderr. */
  note(line: string): void;
}

/** The question, word for word (the terminal test looks for it). */
export function cancelQuestion(id: string): string {
  return `Cancel export ${id}? The file will not be made or emailed.`;
}

/**
 * Runs `wait`, and on Ctrl+C decides what becomes of the export as described
 * above. Resolves with what `wait` resolves with when no Ctrl+C came;
 * otherwise rejects with a CliError of exit code 130 (1 when the cancel
 * request itself failed).
 */
export async function waitOfferingCancel<T>(options: WaitOfferingCancelOptions<T>): Promise<T> {
  const { jobId: id } = options;
  if (!options.askable) {
    try {
      return await options.wait(options.signal);
    } catch (error) {
      if (options.signal.aborted) throw new InterruptedError(`${carriesOn(id)} ${checkOrCancel(id)}`);
      throw error;
    }
  }

  // One controller per step: each Ctrl+C ends the step in progress (the wait, the question, the cancel request).
  let step = new AbortController();
  const release = options.interrupts.intercept(() => step.abort());
  try {
    try {
      return await options.wait(AbortSignal.any([options.signal, step.signal]));
    } catch (error) {
      if (!step.signal.aborted) throw error;
    }
    options.stopDisplay();

    step = new AbortController();
    let sure: boolean;
    try {
      sure = await options.confirm(cancelQuestion(id), step.signal);
    } catch (error) {
      if (!step.signal.aborted && !isPromptInterrupt(error)) throw error;
      return leftRunning(options, `Ctrl+C again: export ${id} was not canceled; it carries on and will be emailed.`);
    }
    if (!sure) return leftRunning(options, carriesOn(id));

    step = new AbortController();
    try {
      await options.cancel(id, step.signal);
    } catch (error) {
      if (step.signal.aborted) {
        options.note(`Ctrl+C again: the cancel of export ${id} may or may not have reached the API.`);
        options.note(checkOrCancel(id));
        throw new ReportedExit(EXIT.interrupted, 'cancel request interrupted');
      }
      if (error instanceof ApiError && error.code === 'export_already_finished') {
        for (const line of finishedMeanwhile(id, error.problem.state, options.outputFile)) options.note(line);
        throw new ReportedExit(EXIT.interrupted, 'export had already finished');
      }
      // The reason follows on the usual error line (exit code 1): the cancel was asked for and did not happen.
      options.note(`Export ${id} was not canceled; it may carry on and be emailed. Try again with: memberships exports cancel ${id}`);
      throw error;
    }
    options.note(`Export ${id} canceled: no file will be made or emailed.`);
    throw new ReportedExit(EXIT.interrupted, 'export canceled');
  } finally {
    release();
  }
}

/**
 * Ctrl+C while the export was being requested, before its id was known.
 * @param sent whether the request had been started (else nothing reached the API)
 * @param idempotencyKey the key the request carried, if any: with it, the same command is safe to run again
 */
export function interruptedRequest(sent: boolean, idempotencyKey: string | undefined): InterruptedError {
  if (!sent) return new InterruptedError('Nothing was requested.');
  if (idempotencyKey) {
    return new InterruptedError(
      `The export may or may not have been requested. Run the same command again (with --idempotency-key ${idempotencyKey}): ` +
        'it follows that export if it was made, and requests it if not.',
    );
  }
  return new InterruptedError(
    'The export may or may not have been requested. See with: memberships exports list ' +
      '(memberships export follows an export under way instead of starting another).',
  );
}

function leftRunning<T>(options: WaitOfferingCancelOptions<T>, said: string): never {
  options.note(said);
  options.note(`Check on it (memberships exports show ${options.jobId}) or wait for it again with: memberships export`);
  throw new ReportedExit(EXIT.interrupted, 'export left running');
}

function carriesOn(id: string): string {
  return `Export ${id} carries on and will be emailed.`;
}

function checkOrCancel(id: string): string {
  return `Check on it (memberships exports show ${id}) or cancel it with: memberships exports cancel ${id}`;
}

/** The cancel came too late (409 export_already_finished): what the export ended as, and what that means now. */
export function finishedMeanwhile(id: string, state: unknown, outputFile: string | undefined): string[] {
  switch (state) {
    case 'succeeded':
      return [
        `Too late to cancel: export ${id} has just succeeded, and its email is on its way.`,
        `Download it with: memberships exports download ${id} --output ${outputFile ?? 'FILE'}`,
      ];
    case 'failed':
      return [
        `Too late to cancel: export ${id} has just failed, so nothing will be emailed.`,
        `See why with: memberships exports show ${id}`,
      ];
    case 'canceled':
      return [`Export ${id} was already canceled: no file will be made or emailed.`];
    default:
      return [`Too late to cancel: export ${id} has already ended (${String(state)}).`, `See it with: memberships exports show ${id}`];
  }
}

/** @inquirer/prompts' rejections when Ctrl+C reaches the prompt itself (raw mode) or its signal aborts; by name, as in error-report.ts. */
function isPromptInterrupt(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}
