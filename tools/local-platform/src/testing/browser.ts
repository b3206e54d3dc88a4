import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { LocalPlatformError } from '../errors';
import { REPO_ROOT } from '../package-paths';

/**
 * A real browser for tests: Debian's Chromium (`apt-get install chromium`, as `.ci/run` does),
 * driven by playwright-core, which never downloads a browser of its own. It answers what a person
 * would see (an email's HTML part, a page the API serves): the visible text, the links and buttons
 * and whether they can be clicked, whether anything is wider than the screen, and a screenshot kept
 * as an artefact outside the repository. `click` presses a button or follows a link as a person
 * does (a form posts, the browser navigates) and reads the page it lands on.
 *
 * Offline by construction: every request that is not to 127.0.0.1/localhost (or data:/about:)
 * is refused and recorded in `blockedRequests`, so an email that loads a remote image or font
 * (a tracking pixel, a web font: what a mail client would fetch) is caught, never fetched.
 *
 * Variables, both optional: CHROMIUM_PATH (default /usr/bin/chromium) and ARTEFACTS_DIR
 * (default `<os.tmpdir()>/memberships-artefacts/<run id>`; never inside the repository).
 */

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * One directory per test process (jest runs a process per worker): the start time sorts the
 * runs, the pid keeps two concurrent runs apart.
 */
const RUN_ID = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;

/**
 * The browser's flags as root on a CI machine (hence no sandbox), quiet: no GPU, no QUIC, no first
 * run, sync, component updates or background requests of Chromium's own. Playwright adds
 * --user-data-dir itself, from `launchPersistentContext`'s directory.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How long a click may take to open the next page (a form's POST answered by a test's server). */
const CLICK_NAVIGATION_MS = 10_000;

/** Hosts a page may reach: the servers the tests start. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface OpenBrowserOptions {
  /** Where CHROMIUM_PATH and ARTEFACTS_DIR are read. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RenderOptions {
  /** The viewport's width in CSS pixels: 375 is a phone, 1024 a small desktop. */
  readonly width: number;
  /** The viewport's height; screenshots take the full page whatever it is. Default 800. */
  readonly height?: number;
}

export interface RenderedLink {
  /** The `href` attribute as the browser parsed it (character references decoded, not normalised). */
  readonly href: string;
  /** The link's visible text. */
  readonly text: string;
  /** On screen within the viewport's width, and what a click in its middle lands on. */
  readonly clickable: boolean;
}

/** A button (`<button>`, `<input type=submit|button>`): its visible text (an input's value) and whether a click lands on it. */
export interface RenderedButton {
  readonly text: string;
  readonly clickable: boolean;
}

export interface RenderedPage {
  /** The HTTP status the document came with (a URL opened or a click's navigation); undefined for HTML given as a string. */
  readonly status?: number | undefined;
  readonly title: string;
  /** The body's innerText: what a reader sees, a line per block. */
  readonly text: string;
  /** `text`'s lines, trimmed, without the empty ones. */
  readonly lines: readonly string[];
  readonly links: readonly RenderedLink[];
  readonly buttons: readonly RenderedButton[];
  /** The viewport's width and the document's: wider means the reader scrolls sideways. */
  readonly width: number;
  readonly scrollWidth: number;
  /** The elements whose content passes their box or the viewport's right edge, e.g. `li: SHA-256: 3f…`. */
  readonly overflowing: readonly string[];
}

export interface TestBrowser {
  /** Shows `content` (a string is HTML; a URL is opened) at `width`, once its fonts and images have settled. */
  render(content: string | URL, options: RenderOptions): Promise<RenderedPage>;
  /**
   * Clicks, on the last rendered page, the one button or link whose visible text is `text`, waits
   * for the page the click navigates to (a form's POST, a link), and reads it at the same width.
   * Fails when no such button or link, or more than one, is there, or when the click goes nowhere.
   */
  click(text: string): Promise<RenderedPage>;
  /** Writes the last rendered page, in full, to `<artefactsDir>/<name>.png`; returns that path. */
  screenshot(name: string): Promise<string>;
  /** Every request refused because it left the machine, in order. */
  readonly blockedRequests: readonly string[];
  /**
   * What the pages reported as errors, in order: console errors (among them every Content-Security-Policy
   * violation, such as a blocked inline style or form target) and uncaught exceptions.
   */
  readonly pageErrors: readonly string[];
  readonly artefactsDir: string;
  /** The browser's profile, a fresh temporary directory removed by `close`. */
  readonly userDataDir: string;
  close(): Promise<void>;
}

/**
 * Where screenshots go: ARTEFACTS_DIR, or a directory of this run under the system's temporary
 * directory. Refuses a path inside the repository (a screenshot is an output, never a source
 * file; in the tree it would end up committed or fail Biome's and git's cleanliness checks).
 */
export function artefactsDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const directory = path.resolve(env.ARTEFACTS_DIR || path.join(os.tmpdir(), 'memberships-artefacts', RUN_ID));
  if (isInside(realExisting(directory), realExisting(REPO_ROOT))) {
    throw new LocalPlatformError(
      'artefacts_in_repository',
      `Test artefacts must stay out of the repository, but ${directory} is inside ${REPO_ROOT}: set ARTEFACTS_DIR to a directory elsewhere.`,
    );
  }
  return directory;
}

/** The Chromium to drive: CHROMIUM_PATH or Debian's. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const executable = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (!existsSync(executable)) {
    throw new LocalPlatformError(
      'browser_missing',
      `No Chromium at ${executable}: install Debian's (\`apt-get install chromium\`, as .ci/run does) or set CHROMIUM_PATH.`,
    );
  }
  return executable;
}

export async function openBrowser({ env = process.env }: OpenBrowserOptions = {}): Promise<TestBrowser> {
  const executablePath = chromiumPath(env);
  const artefactsDir = artefactsDirectory(env);
  // Loaded here, not at the top: the package's index exports this file, and every suite that
  // imports the index would otherwise load playwright's large bundle without using it.
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'memberships-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      viewport: { width: 1024, height: 800 },
      deviceScaleFactor: 1,
      // A service worker's requests would not pass the route below.
      serviceWorkers: 'block',
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new LocalPlatformError('browser_start_failed', `Chromium (${executablePath}) did not start: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const blockedRequests: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    blockedRequests.push(url);
    return route.abort('blockedbyclient');
  });
  const page: Page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // A page served with an error status (a problem page) is not an error of the page: `status` says it.
    const aboutDocument = message.location().url === page.url() && message.text().startsWith('Failed to load resource:');
    if (!aboutDocument) pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  let rendered = false;
  let closed = false;

  async function read(status: number | undefined): Promise<RenderedPage> {
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    rendered = true;
    const seen = await page.evaluate(readPage);
    return { status, ...seen, lines: visibleLines(seen.text) };
  }

  return {
    blockedRequests,
    pageErrors,
    artefactsDir,
    userDataDir,

    async render(content, { width, height = 800 }) {
      await page.setViewportSize({ width, height });
      if (content instanceof URL) return read((await page.goto(content.href, { waitUntil: 'load' }))?.status());
      await page.setContent(content, { waitUntil: 'load' });
      return read(undefined);
    },

    async click(text) {
      if (!rendered) throw new LocalPlatformError('nothing_rendered', 'Render a page before clicking on it.');
      const name = { name: text, exact: true };
      const target = page.getByRole('button', name).or(page.getByRole('link', name));
      const count = await target.count();
      if (count !== 1) {
        throw new LocalPlatformError('click_target', `Expected one button or link "${text}" on the page, found ${count}.`);
      }
      // The document the click navigates to: its response, then its load.
      const errorsBefore = pageErrors.length;
      const navigated = page.waitForResponse(
        (response) => response.request().isNavigationRequest() && response.frame() === page.mainFrame(),
        { timeout: CLICK_NAVIGATION_MS },
      );
      const [response] = await Promise.all([navigated, target.click()]).catch((error: unknown) => {
        const errors = pageErrors.slice(errorsBefore);
        throw new LocalPlatformError(
          'click_went_nowhere',
          `Clicking "${text}" opened no page within ${CLICK_NAVIGATION_MS / 1000} s${errors.length ? `; the page said: ${errors.join(' | ')}` : ''}.`,
          { cause: error },
        );
      });
      await page.waitForLoadState('load');
      return read(response.status());
    },

    async screenshot(name) {
      if (!rendered) throw new LocalPlatformError('nothing_rendered', 'Render something before taking a screenshot of it.');
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
        throw new LocalPlatformError('bad_artefact_name', `An artefact's name is a plain file name (letters, digits, . _ -), not ${name}.`);
      }
      mkdirSync(artefactsDir, { recursive: true });
      const file = path.join(artefactsDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true, type: 'png' });
      return file;
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The few DOM shapes `readPage` uses, for it alone: the workspaces compile without the DOM
 * library, which would put `document` and the rest in every file's scope (and in the types
 * of every workspace that loads this package's).
 */
interface DomRect {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}
interface DomElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly innerText: string;
  readonly clientWidth: number;
  readonly value?: string;
  readonly scrollWidth: number;
  getClientRects(): ArrayLike<DomRect>;
  getAttribute(name: string): string | null;
  scrollIntoView(options: { block: string; inline: string }): void;
  contains(other: DomElement): boolean;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}
declare const window: { readonly innerWidth: number; scrollTo(x: number, y: number): void };
declare const document: {
  readonly title: string;
  readonly body: DomElement;
  readonly documentElement: DomElement;
  readonly fonts: { readonly ready: Promise<unknown> };
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  elementFromPoint(x: number, y: number): DomElement | null;
};

/** Runs in the page: what it shows. Self-contained (serialised into the browser). */
function readPage(): Omit<RenderedPage, 'lines' | 'status'> {
  const width = window.innerWidth;
  const describeElement = (element: DomElement) =>
    `${element.tagName.toLowerCase()}: ${(element.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 60)}`;
  const overflowing: string[] = [];
  for (const element of Array.from(document.body.querySelectorAll('*'))) {
    // Half a pixel of slack for sub-pixel layout; a long word overflows by far more.
    const passesEdge = Array.from(element.getClientRects()).some((rect) => rect.right > width + 0.5);
    const passesBox = element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1;
    if (passesEdge || passesBox) overflowing.push(describeElement(element));
  }
  // On screen within the width, and what a click in its middle lands on.
  const isClickable = (element: DomElement) => {
    element.scrollIntoView({ block: 'center', inline: 'nearest' });
    const rect = element.getClientRects()[0];
    const hit = rect ? document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2) : null;
    return !!rect && rect.width > 0 && rect.left >= 0 && rect.right <= width + 0.5 && !!hit && element.contains(hit);
  };
  const links = Array.from(document.querySelectorAll('a[href]')).map((anchor) => ({
    href: anchor.getAttribute('href') ?? '',
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point: what a reader sees, not the markup's
    text: anchor.innerText,
    clickable: isClickable(anchor),
  }));
  const buttons = Array.from(document.querySelectorAll('button, input[type="submit"], input[type="button"]')).map((button) => ({
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point: what a reader sees, not the markup's
    text: button.tagName === 'INPUT' ? (button.value ?? '') : button.innerText,
    clickable: isClickable(button),
  }));
  window.scrollTo(0, 0);
  return {
    title: document.title,
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point (hidden text left out, a line per block)
    text: document.body.innerText,
    links,
    buttons,
    width,
    scrollWidth: document.documentElement.scrollWidth,
    overflowing,
  };
}

function visibleLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'about:' || protocol === 'blob:') return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(protocol) && LOCAL_HOSTS.has(hostname);
}

/** `file` with its symbolic links resolved, as far as it exists (the artefacts directory may not yet). */
function realExisting(file: string): string {
  let existing = file;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  return path.join(realpathSync(existing), path.relative(existing, file));
}

function isInside(file: string, directory: string): boolean {
  const relative = path.relative(directory, file);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
