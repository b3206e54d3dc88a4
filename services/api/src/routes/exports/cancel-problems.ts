import { HttpProblem } from '../../errors';

/**
 * The problem of POST /v1/exports/{id}/cancel on an export that has already
 * ended (succeeded, failed, canceled or expired): nothing is left to stop, and
 * saying so with a stable code lets a client tell it from a missing export.
 * Kept beside the route: it is the only one that answers it.
 */
export class ExportAlreadyFinishedError extends HttpProblem {
  constructor(id: string, state: string) {
    super(
      409,
      'export_already_finished',
      'Export already finished',
      `Export ${id} is ${state}; only a queued or running export can be canceled.`,
      {
        extensions: { state },
      },
    );
  }
}
