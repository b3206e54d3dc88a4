import { randomUUID } from 'node:crypto';
import { signLink, type LinkGrant } from '@memberships/core/contract';
import { openBrowser, type TestBrowser } from '@memberships/local-platform';
import { API_TITLE } from '../../plugins/openapi';
import { startSchedulerStandIn, type SchedulerStandIn } from '../../testing/scheduler-stand-in';
import { bearer, provisionTestPlatform, startTestApp, type TestApp } from '../../testing/test-app';

/**
 * The link pages as the person who clicked sees them: a real Chromium (Debian's, offline: any
 * request off 127.0.0.1 is refused and listed) opens the API listening on 127.0.0.1 at a phone's
 * width. The pause page fits the phone and has one button; clicking it posts the form (which the
 * page's own Content-Security-Policy must allow) and lands on the paused page, and the Scheduler
 * stand-in's schedule is DISABLED. A problem page says what happened in words. Screenshots stay
 * behind outside the repository (ARTEFACTS_DIR, test/README.md).
 *
 * Not a unit suite: it starts a browser, the API and a Scheduler stand-in.
 */

const DAY_MS = 86_400_000;
const PHONE = { width: 375 };

let t: TestApp;
let scheduler: SchedulerStandIn;
let browser: TestBrowser;

beforeAll(async () => {
  const platform = await provisionTestPlatform();
  scheduler = await startSchedulerStandIn(platform);
  t = await startTestApp({ platform, env: scheduler.apiEnv });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await scheduler?.stop();
  expect(scheduler?.unacknowledgedDenials()).toEqual([]);
});

async function sign(grant: LinkGrant): Promise<string> {
  const { current } = await t.app.linkKeys.keyring();
  return signLink(grant, current, t.clock.now());
}

const inDays = (days: number) => new Date(t.clock.now().getTime() + days * DAY_MS);

it('the pause link: a page that fits a phone with one button, which pauses the monthly export', async () => {
  const owner = await t.member();
  const created = await t.request({ method: 'POST', url: '/v1/export-schedules', headers: bearer(owner.token), payload: {} });
  expect(created.statusCode).toBe(201);
  const id: string = created.json().id;
  const token = await sign({ purpose: 'pause', subject: id, userId: owner.user.id, expiresAt: inDays(62) });
  const url = new URL(`/v1/export-schedules/${id}/pause-link?token=${encodeURIComponent(token)}`, t.baseUrl);

  const confirm = await browser.render(url, PHONE);
  await browser.screenshot('pause-link-375');
  expect(confirm.status).toBe(200);
  expect(confirm.title).toBe(`Pause your monthly export? · ${API_TITLE}`);
  expect(confirm.lines[0]).toBe('Pause your monthly export?');
  expect(confirm.text).toContain('on day 1 at 06:00 (UTC)');
  expect(confirm.buttons).toEqual([{ text: 'Pause monthly exports', clickable: true }]);
  expect(confirm.links).toEqual([]);
  expect(confirm.scrollWidth).toBeLessThanOrEqual(confirm.width);
  expect(confirm.overflowing).toEqual([]);
  // Opening the page changed nothing.
  expect((await scheduler.getSchedule(id))?.State).toBe('ENABLED');

  const paused = await browser.click('Pause monthly exports');
  await browser.screenshot('pause-link-paused-375');
  expect(paused.status).toBe(200);
  expect(paused.title).toBe(`Monthly export paused · ${API_TITLE}`);
  expect(paused.lines).toEqual([
    'Monthly export paused',
    'No more monthly exports will be emailed to you until you resume the subscription.',
    `To resume it, sign in to the app, or run memberships schedule resume ${id}.`,
  ]);
  expect(paused.buttons).toEqual([]);
  expect(paused.overflowing).toEqual([]);
  expect((await scheduler.getSchedule(id))?.State).toBe('DISABLED');
  const inApi = await t.request({ url: `/v1/export-schedules/${id}`, headers: bearer(owner.token) });
  expect(inApi.json()).toMatchObject({ state: 'paused' });

  expect(browser.blockedRequests).toEqual([]);
  // The inline style's hash, the form's target: nothing the page needs is refused by its own policy.
  expect(browser.pageErrors).toEqual([]);
});

it('a problem page: an altered download link says so in words, fits a phone, and loads nothing remote', async () => {
  const jobId = randomUUID();
  const token = await sign({ purpose: 'download', subject: jobId, userId: randomUUID(), expiresAt: inDays(7) });
  const [payload, mac] = token.split('.') as [string, string];
  const altered = `${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
  const page = await browser.render(new URL(`/v1/exports/${jobId}/file?token=${encodeURIComponent(altered)}`, t.baseUrl), PHONE);
  await browser.screenshot('download-link-invalid-375');
  expect(page.status).toBe(403);
  expect(page.title).toBe(`This link is not valid · ${API_TITLE}`);
  expect(page.lines).toEqual([
    'This link is not valid',
    'The link was changed, or it is not one of ours. Open it again from the email. You can still download the export after signing in, in the app or with memberships exports download <id>.',
    expect.stringMatching(/^Reference: \S+$/),
  ]);
  expect(page.links).toEqual([]);
  expect(page.buttons).toEqual([]);
  expect(page.overflowing).toEqual([]);
  expect(page.text).not.toContain('`');
  expect(browser.blockedRequests).toEqual([]);
  expect(browser.pageErrors).toEqual([]);
});
