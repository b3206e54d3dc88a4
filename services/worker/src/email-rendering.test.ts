/**
 * The worker's emails as a reader's browser shows them: each HTML part rendered in a real
 * Chromium (Debian's, offline) at a phone's width and a desktop's. What the reader sees must say
 * what the text part says, every address in the text part must be a link that can be clicked,
 * nothing may make the phone scroll sideways (a SHA-256 or a signed URL is one long word), and
 * the email may fetch nothing. A screenshot of each stays behind, outside the repository
 * (`ARTEFACTS_DIR`, see test/README.md), for a person to look at.
 *
 * Not a unit suite (`*.unit.test.ts`): it starts a browser.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openBrowser, REPO_ROOT, type RenderedPage, type TestBrowser } from '@memberships/local-platform';
import { renderFailureNotice } from './failure-notice';
import { renderExportEmail } from './mailer';

// Data an email has to survive: a name in several scripts with HTML's special characters, a
// million rows, a hash and a signed link that no line can hold, a long scheduled job id.
const JOB_ID = '0f8e4c2a-9b7d-4e61-a3c5-2d9f1b6e8a47';
const FILE_NAME = 'memberships-2026-12-01 Müller & Söhne, Łódź <Ærø> «Ωmega».csv';
const SHA256 = '3f7a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a';
const TOKEN = Buffer.from(Array.from({ length: 187 }, (_, i) => (i * 37 + 11) % 256)).toString('base64url');
const DOWNLOAD_URL = `https://api.memberships.example/v1/exports/${JOB_ID}/file?token=${TOKEN}`;
const REQUESTED_AT = '2026-12-01T05:00:00.000Z';
const file = {
  key: `exports/user-1/${JOB_ID}.csv`,
  rows: 1_000_000,
  bytes: 187_654_321,
  sha256: SHA256,
  contentType: 'text/csv; charset=utf-8',
};

const SCHEDULE_ID = '4b1e9f3a-7c2d-4e8f-9a6b-1d3c5e7f9a2b';
const PAUSE_URL = `https://api.memberships.example/v1/export-schedules/${SCHEDULE_ID}/pause-link?token=${TOKEN.split('').reverse().join('')}`;
const monthly = { scheduleId: SCHEDULE_ID, pauseUrl: PAUSE_URL };
const common = { to: 'member@example.com', jobId: JOB_ID, file, fileName: FILE_NAME, requestedAt: REQUESTED_AT } as const;

interface EmailParts {
  readonly text: string;
  readonly html: string;
}

/**
 * The emails under test, each as its two parts and the addresses it must give, in order. The one
 * place that knows the render functions' inputs: when an email gains a variant or its input a
 * field, it changes here only.
 */
const EMAILS: ReadonlyArray<{ readonly name: string; readonly urls: readonly string[]; readonly render: () => EmailParts }> = [
  {
    name: 'export-attachment',
    urls: [],
    render: () => renderExportEmail({ ...common, method: 'attachment', content: Buffer.from('id,email\n') }),
  },
  {
    name: 'export-link',
    urls: [DOWNLOAD_URL],
    render: () =>
      renderExportEmail({ ...common, method: 'link', downloadUrl: DOWNLOAD_URL, linkExpiresAt: new Date('2026-12-08T05:00:00.000Z') }),
  },
  {
    // Emailed links turned off: no address at all, the command instead.
    name: 'export-app',
    urls: [],
    render: () => renderExportEmail({ ...common, method: 'app', fileExpiresAt: new Date('2026-12-08T05:00:00.000Z') }),
  },
  {
    // A subscription's: the download link, then the one-click pause link.
    name: 'export-link-monthly',
    urls: [DOWNLOAD_URL, PAUSE_URL],
    render: () =>
      renderExportEmail({
        ...common,
        method: 'link',
        downloadUrl: DOWNLOAD_URL,
        linkExpiresAt: new Date('2026-12-08T05:00:00.000Z'),
        monthly,
      }),
  },
  {
    name: 'export-attachment-monthly',
    urls: [PAUSE_URL],
    render: () => renderExportEmail({ ...common, method: 'attachment', content: Buffer.from('id,email\n'), monthly }),
  },
  {
    name: 'failure-notice-monthly',
    urls: [],
    render: () =>
      renderFailureNotice({
        jobId: `sched-${SCHEDULE_ID}-2026-12-01T05:00:00Z`,
        requestedAt: REQUESTED_AT,
        errorCode: 'invalid_data',
        end: 'permanent',
        scheduled: true,
      }),
  },
];

const PHONE = 375;
const DESKTOP = 1024;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The text part as a reader of it sees it: its lines, trimmed, without the empty ones. */
const textLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** The addresses in the text part (a sentence's closing punctuation is not part of one). */
const textUrls = (text: string) => [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map(([url]) => url.replace(/[.,;:!?)]+$/, ''));

let browser: TestBrowser;

beforeAll(async () => {
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Renders `html` and returns the page with the requests it tried to make off the machine. */
async function show(html: string, width: number): Promise<{ page: RenderedPage; blocked: readonly string[] }> {
  const before = browser.blockedRequests.length;
  const page = await browser.render(html, { width });
  return { page, blocked: browser.blockedRequests.slice(before) };
}

describe.each(EMAILS)('the $name email in Chromium', ({ name, urls: expectedUrls, render }) => {
  const { text, html } = render();

  it.each([PHONE, DESKTOP])('at %i px shows what its text part says, with working links, fetching nothing', async (width) => {
    const { page, blocked } = await show(html, width);

    expect(page.lines).toEqual(textLines(text));

    const urls = textUrls(text);
    expect(urls).toEqual(expectedUrls);
    for (const url of urls) expect(page.links).toContainEqual(expect.objectContaining({ href: url, clickable: true }));
    // No link the text part's reader is not given.
    expect(page.links.map((link) => link.href).sort()).toEqual([...urls].sort());

    expect(page.overflowing).toEqual([]);
    expect(page.scrollWidth).toBeLessThanOrEqual(width);
    expect(blocked).toEqual([]);
  });

  it.each([PHONE, DESKTOP])('at %i px leaves a screenshot outside the repository', async (width) => {
    await show(html, width);
    const screenshot = await browser.screenshot(`${name}-${width}`);

    expect(path.dirname(screenshot)).toBe(browser.artefactsDir);
    expect(path.relative(REPO_ROOT, screenshot).startsWith(`..${path.sep}`)).toBe(true);
    const png = readFileSync(screenshot);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // The IHDR chunk's width: the page as wide as the screen, not wider.
    expect(png.readUInt32BE(16)).toBe(width);
    // Measured: an empty page is 2.5 KB (375 px) to 4 KB (1024 px), one word under 5 KB; these emails are over 30 KB.
    expect(png.length).toBeGreaterThan(15_000);
  });
});

// The checks above can fail: what they guard against is caught when it is there.
describe("the browser's checks", () => {
  it('catch an email that loads a remote image', async () => {
    const { blocked } = await show('<p>Hello</p><img src="https://tracker.example/pixel.gif" alt="">', PHONE);
    expect(blocked).toEqual(['https://tracker.example/pixel.gif']);
  });

  it('catch a hash that does not wrap on a phone', async () => {
    const { page } = await show(`<ul><li>SHA-256: ${SHA256}</li></ul>`, PHONE);
    expect(page.overflowing).toContain(`li: SHA-256: ${SHA256.slice(0, 60 - 'SHA-256: '.length)}`);
    expect(page.scrollWidth).toBeGreaterThan(PHONE);
  });

  it('tell a link that is covered from one that can be clicked', async () => {
    const { page } = await show(
      '<a href="http://127.0.0.1/open">open</a><p style="position:relative"><a href="http://127.0.0.1/covered">covered</a>' +
        '<span style="position:absolute;inset:0;background:white"></span></p>',
      PHONE,
    );
    expect(page.links).toEqual([
      { href: 'http://127.0.0.1/open', text: 'open', clickable: true },
      { href: 'http://127.0.0.1/covered', text: 'covered', clickable: false },
    ]);
  });
});
