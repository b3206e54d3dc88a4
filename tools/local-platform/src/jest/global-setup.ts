/**
 * Jest global setup (root jest.config.js): starts the local AWS emulators and
 * PostgreSQL once for the whole run and hands their endpoints to the test
 * workers through environment variables (workers are started after this and
 * inherit them). Each suite then provisions its own random-prefix resources
 * (provisionTestResources) and its own database (createTestDatabase).
 * DATABASE_URL, when already set, names the PostgreSQL server to use instead
 * of an embedded one.
 */
import type { DenialRecord } from '../iam-gate';
import { DEFAULT_EMAIL_DOMAIN, startLocalAws, stopAll } from '../local-aws';
import { startPostgres } from '../postgres';
import { useLocalAwsEnvironment } from '../aws-clients';
import { ensureChromium } from './ensure-chromium';
import { ensureLibreOffice } from './ensure-libreoffice';
import { setRunningPlatform } from './running-platform';

export default async function globalSetup(): Promise<void> {
  // The IAM gate prints each denial as it happens, with the caller, the call and the reason.
  const onDenial = (denial: DenialRecord) =>
    process.stderr.write(`iam-gate: denied ${denial.identity} ${denial.operation}: ${denial.reason}\n`);
  // The browser tests' Chromium, installed meanwhile when the machine lacks it (ensure-chromium.ts); then
  // the spreadsheet tests' LibreOffice Calc, likewise, never fatal: only those tests need it
  // (ensure-libreoffice.ts). One after the other: two apt-get runs at once fail on dpkg's lock.
  const browserInstall = ensureChromium();
  const officeInstall = browserInstall.catch(() => undefined).then(() => ensureLibreOffice());
  const [aws, postgres, browser] = await Promise.allSettled([
    startLocalAws({ iamGate: { emailDomain: DEFAULT_EMAIL_DOMAIN, onDenial } }),
    startPostgres(),
    browserInstall,
    officeInstall,
  ]);
  if (aws.status === 'rejected' || postgres.status === 'rejected' || browser.status === 'rejected') {
    await stopAll([aws, postgres].flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
    throw [aws, postgres, browser].flatMap((result) => (result.status === 'rejected' ? [result.reason] : []))[0];
  }
  setRunningPlatform({ aws: aws.value, postgres: postgres.value });

  useLocalAwsEnvironment(aws.value);
  Object.assign(process.env, {
    // The emulators behind the gate, for tests that must reach one directly (e.g. a gate test of its own).
    LOCAL_EMULATOR_ENDPOINTS: JSON.stringify(aws.value.emulatorEndpoints),
    LOCAL_IAM_GATE_ENDPOINT: aws.value.iamGate?.endpoint ?? '',
    DATABASE_URL: postgres.value.url,
  });
}
