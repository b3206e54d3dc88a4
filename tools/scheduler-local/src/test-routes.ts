import type { Clock } from './clock';
import { SchedulerLocalError } from './errors';
import type { FaultInjector } from './faults';
import type { FiringEngine } from './firing-engine';
import type { Route } from './http-server';
import type { SchedulerService } from './scheduler-service';
import type { FaultSpec, Firing } from './types';

const FIRING_STATUSES: ReadonlyArray<Firing['status']> = ['pending', 'sent', 'dead-lettered', 'failed', 'cancelled'];

/**
 * Endpoints for tests in other processes (e2e), not part of the AWS API:
 *
 * | request | effect | answer |
 * |---|---|---|
 * | GET /_test/clock | | `{now, mode}` |
 * | POST /_test/clock `{now: ISO}` | sets the clock (it becomes manual) and fires everything due up to it | `{now, mode, firings}` (those that became final) |
 * | POST /_test/tick | fires what is due at the current time | `{now, mode, firings}` |
 * | GET /_test/firings?scheduleName=&groupName=&status= | | `{firings}` oldest first, pending included |
 * | DELETE /_test/firings | forgets the final firings | 204 |
 * | POST /_test/faults `{operation, count?, status?, errorType?, message?, when?}` | arms a fault | 201 `{fault}` |
 * | GET /_test/faults | | `{faults}` still armed |
 * | DELETE /_test/faults | disarms all | 204 |
 *
 * Misuse answers 400 `{code, message}`.
 */
export function testRoutes(service: SchedulerService, engine: FiringEngine, clock: Clock, faults: FaultInjector): Route[] {
  const clockState = () => ({ now: clock.now().toISOString(), mode: clock.mode });
  return [
    { method: 'GET', path: /^\/_test\/clock$/, operation: 'test:GetClock', handle: () => ({ body: clockState() }) },
    {
      method: 'POST',
      path: /^\/_test\/clock$/,
      operation: 'test:SetClock',
      handle: async ({ body }) => {
        const now = typeof body.now === 'string' ? new Date(body.now) : undefined;
        if (!now || Number.isNaN(now.getTime()))
          throw new SchedulerLocalError('invalid_clock', 'Body must be {"now": "<ISO 8601 date-time>"}.');
        const firings = await service.setTime(now);
        return { body: { ...clockState(), firings } };
      },
    },
    {
      method: 'POST',
      path: /^\/_test\/tick$/,
      operation: 'test:Tick',
      handle: async () => ({ body: { ...clockState(), firings: await service.tick() } }),
    },
    {
      method: 'GET',
      path: /^\/_test\/firings$/,
      operation: 'test:ListFirings',
      handle: ({ query }) => {
        const status = query.get('status') ?? undefined;
        if (status !== undefined && !FIRING_STATUSES.includes(status as Firing['status'])) {
          throw new SchedulerLocalError('invalid_filter', `status must be one of ${FIRING_STATUSES.join(', ')}.`);
        }
        const firings = engine.firings({
          scheduleName: query.get('scheduleName') ?? undefined,
          groupName: query.get('groupName') ?? undefined,
          status: status as Firing['status'] | undefined,
        });
        return { body: { firings } };
      },
    },
    {
      method: 'DELETE',
      path: /^\/_test\/firings$/,
      operation: 'test:ClearFirings',
      handle: () => {
        engine.clearFirings();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: /^\/_test\/faults$/,
      operation: 'test:InjectFault',
      handle: ({ body }) => ({ status: 201, body: { fault: faults.inject(body as unknown as FaultSpec) } }),
    },
    { method: 'GET', path: /^\/_test\/faults$/, operation: 'test:ListFaults', handle: () => ({ body: { faults: faults.list() } }) },
    {
      method: 'DELETE',
      path: /^\/_test\/faults$/,
      operation: 'test:ClearFaults',
      handle: () => {
        faults.clear();
        return { status: 204 };
      },
    },
  ];
}
