import { readExportOptions, type ExportOptions } from '@memberships/core/contract';
import { HttpProblem, ValidationFailedError } from '../../errors';

/**
 * What POST /v1/exports answers about its body and its Idempotency-Key, kept
 * beside the route: it is the only one that answers them.
 */

/**
 * The Idempotency-Key came with a body that asks for other options than the
 * request that first used it. A retry must send the same request; other
 * options are another export, under another key.
 */
export class IdempotencyKeyReusedProblem extends HttpProblem {
  constructor(jobId: string) {
    super(
      422,
      'idempotency_key_reused',
      'Idempotency-Key reused',
      `This Idempotency-Key was first used for export ${jobId} with other options; send the same body to retry it, or use a new key.`,
      { extensions: { export_id: jobId } },
    );
  }
}

/**
 * The options of a request body (none, `null` or `{}`: the defaults), or a
 * `validation_failed` problem listing every bad field at once, in the
 * spelling of the problems the schema validator reports (`in: body`, a
 * dotted field). `prefix` puts the fields under the body's field holding
 * them (`export.` for a schedule).
 */
export function optionsFromBody(value: unknown, prefix = ''): ExportOptions {
  const result = readExportOptions(value, prefix);
  if (result.ok) return result.options;
  throw new ValidationFailedError(result.problems.map((problem) => ({ in: 'body', field: problem.field, message: problem.message })));
}
