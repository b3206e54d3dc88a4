/**
 * Jest global teardown: stops what global-setup.ts started (emulators, the IAM
 * gate and the embedded PostgreSQL), and fails the run if the gate denied any
 * call. A denied call fails in AWS; code that swallows the error (a retry
 * loop, a background task) must not let the suite pass where production
 * would break. A test that causes a denial on purpose acknowledges it
 * (acknowledgeIamDenials); tests of the gate itself run their own gate.
 */
import { stopAll } from '../local-aws';
import { takeRunningPlatform } from './running-platform';

export default async function globalTeardown(): Promise<void> {
  const platform = takeRunningPlatform();
  if (!platform) return;
  const denials = platform.aws.iamGate?.unacknowledged() ?? [];
  await stopAll([platform.aws, platform.postgres]);
  if (denials.length > 0) {
    const lines = denials.map((d) => `  - ${d.identity} ${d.operation}: ${d.reason}${d.userAgent ? ` [${d.userAgent}]` : ''}`);
    throw new Error(`The IAM gate denied ${denials.length} AWS call(s) the synthesized policies do not allow:\n${lines.join('\n')}`);
  }
}
