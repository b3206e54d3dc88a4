import { ERROR_TYPE_BY_STATUS, SchedulerApiError, SchedulerLocalError } from './errors';
import { FAULT_OPERATIONS, type FaultOperation, type FaultSpec } from './types';

const DEFAULT_MESSAGE = 'Injected fault (scheduler-local)';

export interface ArmedFault {
  readonly operation: FaultOperation;
  readonly remaining: number;
  readonly status: number;
  readonly errorType: string;
  readonly message: string;
  readonly when: 'before' | 'after';
}

/**
 * Faults armed by tests: the next `count` calls of an operation fail. Faults
 * for the same operation queue up in the order they were armed.
 */
export class FaultInjector {
  private readonly armed: Array<{ -readonly [K in keyof ArmedFault]: ArmedFault[K] }> = [];

  /** Validates and arms a fault; throws SchedulerLocalError on a malformed spec. */
  inject(spec: FaultSpec): ArmedFault {
    if (!FAULT_OPERATIONS.includes(spec.operation)) {
      throw new SchedulerLocalError(
        'invalid_fault',
        `Unknown operation "${String(spec.operation)}"; one of: ${FAULT_OPERATIONS.join(', ')}.`,
      );
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1)
      throw new SchedulerLocalError('invalid_fault', `count must be a positive integer, got ${String(spec.count)}.`);
    const status = spec.status ?? 500;
    const errorType = spec.errorType ?? ERROR_TYPE_BY_STATUS[status];
    if (!Number.isInteger(status) || status < 400 || status > 599 || errorType === undefined) {
      throw new SchedulerLocalError(
        'invalid_fault',
        `status ${String(spec.status)} has no Scheduler exception; use one of ${Object.keys(ERROR_TYPE_BY_STATUS).join(', ')} or give errorType.`,
      );
    }
    const when = spec.when ?? 'before';
    if (when !== 'before' && when !== 'after')
      throw new SchedulerLocalError('invalid_fault', `when must be "before" or "after", got ${String(spec.when)}.`);
    const fault = { operation: spec.operation, remaining: count, status, errorType, message: spec.message ?? DEFAULT_MESSAGE, when };
    this.armed.push(fault);
    return { ...fault };
  }

  /** Uses up one call of the first fault armed for the operation, if any. */
  take(operation: FaultOperation): ArmedFault | undefined {
    const index = this.armed.findIndex((fault) => fault.operation === operation);
    const fault = this.armed[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.armed.splice(index, 1);
    return { ...fault };
  }

  list(): ArmedFault[] {
    return this.armed.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.armed.length = 0;
  }
}

export function faultError(fault: ArmedFault): SchedulerApiError {
  return new SchedulerApiError(fault.errorType, fault.status, fault.message);
}
