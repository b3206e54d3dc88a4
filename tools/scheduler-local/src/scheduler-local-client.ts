import { SchedulerLocalError } from './errors';
import type { ArmedFault } from './faults';
import type { FiringFilter } from './firing-engine';
import type { FaultSpec, Firing } from './types';

export interface SchedulerLocalClientOptions {
  /** The stand-in's endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Injected for tests; default the global fetch. */
  readonly fetch?: typeof fetch;
}

/**
 * Drives a stand-in running in another process (the runner, or one started by
 * the local platform) through its /_test endpoints: the same controls the
 * in-process SchedulerLocal handle has. Errors come back as SchedulerLocalError
 * with the stand-in's `code`.
 */
export class SchedulerLocalClient {
  private readonly endpoint: string;
  private readonly fetch: typeof fetch;

  constructor(options: SchedulerLocalClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
  }

  async now(): Promise<{ now: string; mode: 'manual' | 'real' }> {
    return this.request('GET', '/_test/clock');
  }

  /** Sets the clock and fires everything due up to it; resolves with the firings that became final. */
  async setTime(instant: Date | string): Promise<Firing[]> {
    const date = new Date(instant);
    if (Number.isNaN(date.getTime())) throw new SchedulerLocalError('invalid_clock', `Not a date: ${String(instant)}.`);
    const { firings } = await this.request<{ firings: Firing[] }>('POST', '/_test/clock', { now: date.toISOString() });
    return firings;
  }

  async tick(): Promise<Firing[]> {
    const { firings } = await this.request<{ firings: Firing[] }>('POST', '/_test/tick');
    return firings;
  }

  async firings(filter: FiringFilter = {}): Promise<Firing[]> {
    const query = new URLSearchParams(Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const { firings } = await this.request<{ firings: Firing[] }>('GET', `/_test/firings${query.size > 0 ? `?${query.toString()}` : ''}`);
    return firings;
  }

  async clearFirings(): Promise<void> {
    await this.request('DELETE', '/_test/firings');
  }

  async injectFault(fault: FaultSpec): Promise<ArmedFault> {
    const { fault: armed } = await this.request<{ fault: ArmedFault }>('POST', '/_test/faults', fault);
    return armed;
  }

  async faults(): Promise<ArmedFault[]> {
    const { faults } = await this.request<{ faults: ArmedFault[] }>('GET', '/_test/faults');
    return faults;
  }

  async clearFaults(): Promise<void> {
    await this.request('DELETE', '/_test/faults');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(`${this.endpoint}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const problem = (parsed ?? {}) as { code?: string; message?: string; Message?: string };
      throw new SchedulerLocalError(
        problem.code ?? 'request_failed',
        `${method} ${path} answered ${response.status}: ${problem.message ?? problem.Message ?? text}`,
      );
    }
    return parsed as T;
  }
}
