/** Jest global teardown: stops what global-setup.ts started (emulators and the embedded PostgreSQL). */
import { stopAll } from '../local-aws';
import { takeRunningPlatform } from './running-platform';

export default async function globalTeardown(): Promise<void> {
  const platform = takeRunningPlatform();
  if (platform) await stopAll([platform.aws, platform.postgres]);
}
