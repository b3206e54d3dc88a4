import { signLink, type LinkGrant } from '@memberships/core/contract';
import { startSchedulerStandIn, type SchedulerStandIn } from '../../testing/scheduler-stand-in';
import { bearer, provisionTestPlatform, startTestApp, type Member, type TestApp } from '../../testing/test-app';

/**
 * The monthly email's pause link, `/v1/export-schedules/{id}/pause-link?token=`: a GET shows a
 * page with one button and changes nothing (mail scanners open every link); a POST (the button,
 * or a mail client's RFC 8058 one-click from the List-Unsubscribe header) pauses the subscription,
 * in the API and in the Scheduler, whose schedule this suite reads through the real SDK client
 * from a stand-in of its own. Schedules are made through the API; tokens are signed with the
 * API's current key, as the worker's email signs them.
 */

const DAY_MS = 86_400_000;
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ONE_CLICK = 'List-Unsubscribe=One-Click';

let t: TestApp;
let scheduler: SchedulerStandIn;

beforeAll(async () => {
  const platform = await provisionTestPlatform();
  scheduler = await startSchedulerStandIn(platform);
  t = await startTestApp({ platform, env: scheduler.apiEnv });
});

afterAll(async () => {
  await t?.close();
  await scheduler?.stop();
  expect(scheduler?.unacknowledgedDenials()).toEqual([]);
});

async function createdSchedule(who: Member): Promise<string> {
  const response = await t.request({
    method: 'POST',
    url: '/v1/export-schedules',
    headers: bearer(who.token),
    payload: { day_of_month: 3 },
  });
  expect(response.statusCode).toBe(201);
  return response.json().id;
}

async function sign(grant: Partial<LinkGrant> & Pick<LinkGrant, 'subject' | 'userId'>): Promise<string> {
  const { current } = await t.app.linkKeys.keyring();
  const now = t.clock.now();
  return signLink({ purpose: 'pause', expiresAt: new Date(now.getTime() + 62 * DAY_MS), ...grant }, current, now);
}

const pauseUrl = (id: string, token: string) => `/v1/export-schedules/${id}/pause-link?token=${encodeURIComponent(token)}`;
const oneClick = (url: string, headers: Record<string, string> = {}) =>
  t.request({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: ONE_CLICK });
const stateInApi = async (who: Member, id: string) =>
  (await t.request({ url: `/v1/export-schedules/${id}`, headers: bearer(who.token) })).json().state;
const stateInScheduler = async (id: string) => (await scheduler.getSchedule(id))?.State;
const decodeEntities = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

describe('the pause link', () => {
  it('opens a page with one button that posts back to the same URL, and changes nothing', async () => {
    const owner = await t.member();
    const id = await createdSchedule(owner);
    const url = pauseUrl(id, await sign({ subject: id, userId: owner.user.id }));
    for (const accept of [BROWSER_ACCEPT, 'application/json', undefined]) {
      const response = await t.request({ url, headers: accept ? { accept } : {} });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toMatch(/(^|; )default-src 'none'(;|$)/);
      expect(response.headers['content-security-policy']).toMatch(/(^|; )form-action 'self'(;|$)/);
      expect(response.headers['cache-control']).toBe('no-store');
      const html = decodeEntities(response.body);
      expect(html).toContain('<h1>Pause your monthly export?</h1>');
      expect(html).toContain('on day 3 at 06:00 (UTC)');
      expect(html.match(/<form /g)).toHaveLength(1);
      expect(html.match(/<button /g)).toHaveLength(1);
      expect(html).toContain(`<form method="post" action="${url}"><button type="submit">Pause monthly exports</button></form>`);
    }
    expect(await stateInApi(owner, id)).toBe('active');
    expect(await stateInScheduler(id)).toBe('ENABLED');
  });

  it('pauses on the one-click POST: JSON {id, state}, paused in the API, DISABLED in the Scheduler; a second POST changes nothing', async () => {
    const owner = await t.member();
    const id = await createdSchedule(owner);
    const url = pauseUrl(id, await sign({ subject: id, userId: owner.user.id }));
    for (let click = 1; click <= 2; click += 1) {
      const response = await oneClick(url);
      expect({ click, status: response.statusCode }).toEqual({ click, status: 200 });
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ id, state: 'paused' });
      expect(await stateInApi(owner, id)).toBe('paused');
      expect(await stateInScheduler(id)).toBe('DISABLED');
    }
    const page = await t.request({ url, headers: { accept: BROWSER_ACCEPT } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Monthly export paused</h1>');
    expect(page.body).not.toContain('<form');
    // Resuming is the owner's, signed in: the paused page says how.
    expect(decodeEntities(page.body)).toContain(`memberships schedule resume ${id}`);
  });

  it('pauses on a multipart/form-data POST too, and answers the browser that clicked with a page', async () => {
    const owner = await t.member();
    const id = await createdSchedule(owner);
    const boundary = '----memberships-test-boundary';
    const response = await t.request({
      method: 'POST',
      url: pauseUrl(id, await sign({ subject: id, userId: owner.user.id })),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: BROWSER_ACCEPT },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('<h1>Monthly export paused</h1>');
    expect(await stateInApi(owner, id)).toBe('paused');
    expect(await stateInScheduler(id)).toBe('DISABLED');
  });

  it("answers 403 link_not_for_this_resource for another user's schedule, another user's token, or a download token", async () => {
    const owner = await t.member();
    const other = await t.member();
    const id = await createdSchedule(owner);
    const othersId = await createdSchedule(other);
    const ownersToken = await sign({ subject: id, userId: owner.user.id });
    const cases: Array<[string, string]> = [
      ["another user's schedule", pauseUrl(othersId, ownersToken)],
      ['a token naming another user', pauseUrl(id, await sign({ subject: id, userId: other.user.id }))],
      ['a download token', pauseUrl(id, await sign({ purpose: 'download', subject: id, userId: owner.user.id }))],
    ];
    for (const [name, url] of cases) {
      for (const method of ['GET', 'POST']) {
        const response = method === 'GET' ? await t.request({ url }) : await oneClick(url);
        expect({ name, method, status: response.statusCode }).toEqual({ name, method, status: 403 });
        expect(response.json()).toMatchObject({ code: 'link_not_for_this_resource' });
      }
    }
    const page = await oneClick(cases[0]![1], { accept: BROWSER_ACCEPT });
    expect(page.statusCode).toBe(403);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<h1>This link is for something else</h1>');
    for (const [who, schedule] of [
      [owner, id],
      [other, othersId],
    ] as const) {
      expect(await stateInApi(who, schedule)).toBe('active');
      expect(await stateInScheduler(schedule)).toBe('ENABLED');
    }
  });

  it('answers 403 link_invalid for an altered token and 410 link_expired after its expiry, pausing nothing', async () => {
    const owner = await t.member();
    const id = await createdSchedule(owner);
    const token = await sign({ subject: id, userId: owner.user.id });
    const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`;
    const invalid = await oneClick(pauseUrl(id, altered));
    expect(invalid.statusCode).toBe(403);
    expect(invalid.json()).toMatchObject({ code: 'link_invalid' });
    try {
      t.clock.advance(62 * DAY_MS);
      const expired = await oneClick(pauseUrl(id, token));
      expect(expired.statusCode).toBe(410);
      expect(expired.json()).toMatchObject({ code: 'link_expired' });
    } finally {
      t.clock.reset();
    }
    expect(await stateInApi({ ...owner, token: await t.login(owner.user) }, id)).toBe('active');
    expect(await stateInScheduler(id)).toBe('ENABLED');
  });

  it('answers 404 schedule_not_found once the schedule was deleted', async () => {
    const owner = await t.member();
    const id = await createdSchedule(owner);
    const url = pauseUrl(id, await sign({ subject: id, userId: owner.user.id }));
    expect((await t.request({ method: 'DELETE', url: `/v1/export-schedules/${id}`, headers: bearer(owner.token) })).statusCode).toBe(204);
    for (const response of [await t.request({ url }), await oneClick(url)]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'schedule_not_found' });
    }
    const page = await t.request({ url, headers: { accept: BROWSER_ACCEPT } });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await stateInScheduler(id)).toBeUndefined();
  });
});
