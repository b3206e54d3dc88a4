import path from 'node:path';
import { builtFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';
import { EVENTS_PATH, type StoredEvent } from './eventbridge-local-server';

export type { StoredEvent } from './eventbridge-local-server';

/**
 * The Amazon EventBridge stand-in (eventbridge-local-server.ts: the real JSON
 * 1.1 wire protocol, in memory) in its own Node process. Bus ARNs are
 * `arn:aws:events:<region>:000000000000:event-bus/<name>`; the `default` bus exists from the start.
 */
export function startEventBridgeLocal(options: EmulatorOptions & { readonly region?: string } = {}): Promise<RunningEmulator> {
  return startEmulatorProcess(
    'eventbridge-local',
    process.execPath,
    [builtFile(path.join('emulators', 'eventbridge-local-runner.js')), String(options.port ?? 0), options.region ?? 'us-east-1'],
    options,
  );
}

/**
 * The events a bus of the stand-in accepted, oldest first, with `detail` parsed: what a rule
 * matching everything on the bus would have delivered. `endpoint` is the stand-in's or the IAM
 * gate's (which passes this unsigned test endpoint through). Rejects when the bus does not exist.
 */
export async function busEvents(endpoint: string, bus: string): Promise<StoredEvent[]> {
  const url = new URL(EVENTS_PATH, endpoint);
  url.searchParams.set('bus', bus);
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`reading the events of bus ${bus} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { events: StoredEvent[] }).events;
}
