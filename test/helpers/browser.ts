/**
 * The window in a real browser for end-to-end tests (docs/web-ui.md): Debian's Chromium driven by
 * playwright-core, opening an agent's web UI link. Nothing is downloaded: when /usr/bin/chromium is
 * missing the tests skip and say why (.ci/run installs it where it can).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { droppedFeatures, launchOptions, SHARED_BROWSER_ENV } from '../../scripts/test-browser-launch.mjs';
import { agentCall } from './processes.js';
import { until } from './wait.js';

export const CHROMIUM = process.env.CLAWBRIDGE_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go: test-results/screenshots/ at the repository root. */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Why browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  if (!existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM} (apt-get install chromium); browser end-to-end tests skipped`;
  }
  const built = fileURLToPath(new URL('../../dist/renderer/index.html', import.meta.url));
  if (!existsSync(built)) return 'the renderer is not built (npx vite build -c vite.config.ts); skipped';
  return null;
}

export interface LaunchOptions {
  /**
   * A Chromium of the file's own even when the run shares one: for a test that needs what is one per
   * browser (the clipboard, which another file's page may write meanwhile; the browser's process), or
   * a download's path on disk (playwright gives it only for a browser it launched).
   * The call says why beside it.
   */
  own?: boolean;
}

/** How long a file waits to connect to the run's shared Chromium: a minute, on a loaded machine. */
const CONNECT_MS = 60_000;

/**
 * The browser a test file drives: the run's shared Chromium when scripts/run-tests.mjs started one
 * (its endpoint in SHARED_BROWSER_ENV, scripts/test-browser.mjs), or one launched for this file, as a
 * file run alone gets. Connected, `close()` closes only the contexts this file opened and leaves the
 * browser to the run.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const endpoint = process.env[SHARED_BROWSER_ENV];
  if (endpoint && !options.own) {
    return chromium.connect(endpoint, { timeout: CONNECT_MS }).catch((err: Error) => {
      throw new Error(
        `could not connect to the run's shared Chromium at ${endpoint} (${SHARED_BROWSER_ENV}): ${err.message}; run the file alone (node scripts/run-tests.mjs FILE) to launch its own`,
      );
    });
  }
  const browser = await chromium.launch(launchOptions(CHROMIUM));
  const dropped = droppedFeatures();
  if (dropped) {
    await browser.close();
    throw new Error(dropped);
  }
  return browser;
}

/** The file's Chromium, once launched (test files run each in a process of their own). */
let shared: Promise<Browser> | undefined;

/**
 * One Chromium for the whole test file (`launchBrowser`: the run's shared one, or the file's own),
 * when a test first asks: a launch and close cost ~2 s of CPU and seconds of wall time on two busy
 * cores, and a file that launched one for each test paid it each time. A test still starts from a fresh profile: each context it opens (`openUi`,
 * `openRelayPage`, `browser.newContext()`) has storage, cookies, IndexedDB and permissions of its own.
 * It ends with `closeContexts` where it would have closed its browser, and the file's `after` calls
 * `closeSharedBrowser`.
 */
export function sharedBrowser(options: LaunchOptions = {}): Promise<Browser> {
  shared ??= launchBrowser(options);
  return shared;
}

/**
 * Closes every context open in `browser`, the shared one: their pages close and their sockets with
 * them, as closing the browser did, so nothing a test opened (a browser node online on its relay, a
 * terminal) outlives it into the next.
 */
export async function closeContexts(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((c) => c.close()));
}

/** Closes the file's shared Chromium, if a test launched it: the file's `after`. */
export async function closeSharedBrowser(): Promise<void> {
  const browser = shared;
  shared = undefined;
  await (await browser?.catch(() => undefined))?.close();
}

/**
 * The agent's web UI link with its token, as `clawbridge ui --no-open --json` prints it: asked of the
 * agent (`ui.url`, what that command asks) from this process rather than by a CLI process (~0.4 s of
 * CPU) for each window a test opens. The command itself is tested in test/integration/web-ui-agent.test.ts.
 */
export async function uiUrl(home: string): Promise<string> {
  return (await agentCall(home, 'ui.url', {})).url;
}

export interface UiPage {
  context: BrowserContext;
  page: Page;
  /** Messages the page logged as errors, and uncaught exceptions: a test asserts there are none. */
  errors: string[];
}

/** A fresh browser context (own storage) at 1280×800 with the agent's UI open. */
export async function openUi(browser: Browser, url: string): Promise<UiPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  return { context, page, errors };
}

/**
 * Whether screenshots are taken: unless CLAWBRIDGE_SCREENSHOTS is 0, which a whole run
 * (scripts/run-tests.mjs with no files named, as `npm test` and CI run it) sets when it is unset. Each
 * cost ~0.3 CPU-s of the browser's (the capture in its GPU process, the PNG's encoding), over 350 of
 * them ~100 CPU-s a run (issue 83), for pictures nobody looks at there. The page still goes through
 * both themes, so an error the dark one raises is still seen.
 */
export const screenshotsTaken = (): boolean => process.env.CLAWBRIDGE_SCREENSHOTS !== '0';

/** Saves a full-window screenshot as test-results/screenshots/NAME-THEME.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`);
  if (!screenshotsTaken()) return path;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path });
  return path;
}

/**
 * Resolves in the page once every CSS transition running there has ended, at once when none runs: the
 * theme's (a switch's background) end before its screenshot. `getAnimations()` brings the style up to
 * date first, so a transition the theme change starts is among them. A fixed 150 ms here cost 0.3 s
 * per call, 163 calls over the browser tests; endless animations (a spinner) are no transition.
 */
const TRANSITIONS_ENDED = `Promise.all(
  document
    .getAnimations()
    .filter((a) => a instanceof CSSTransition)
    .map((a) => a.finished.catch(() => undefined)),
).then(() => true)`;

/**
 * Resolves once the page drew two frames after a change it takes in itself (a viewport resized, a
 * colour scheme emulated), then once its CSS transitions ended: a frame runs the resize handlers,
 * media-query listeners and ResizeObserver callbacks, and the next one draws what they re-rendered.
 * A fixed sleep stood here, "the page lays itself out again; it announces nothing"; its frames do.
 */
export async function laidOut(page: Page): Promise<void> {
  await page.evaluate(`new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(() => done(true))),
  )`);
  await page.evaluate(TRANSITIONS_ENDED);
}

/** Screenshots of the current view in the light and the dark theme (emulated prefers-color-scheme). */
export async function screenshotThemes(page: Page, name: string): Promise<string[]> {
  const paths: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.evaluate(TRANSITIONS_ENDED);
    paths.push(await screenshot(page, `${name}-${colorScheme}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return paths;
}

/** `8554 4cd4 …`: a fingerprint as the window groups it. */
export const grouped = (fp: string): string => fp.match(/.{4}/g)!.join(' ');

/** A navigation entry of the window ("Peers", "Approvals", …). */
export function nav(page: Page, name: string | RegExp): Locator {
  return page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name });
}

/**
 * Opens the view `name` from the navigation; resolves once the page shows it, laid out. The main
 * region takes the view's name when it renders the view (App.tsx); a fixed sleep stood here, "the view
 * renders; it announces nothing".
 */
export async function openView(page: Page, name: string): Promise<void> {
  await nav(page, name).click();
  await page.getByRole('main', { name, exact: true }).waitFor();
  await laidOut(page);
}

/** The card (list item) of the peer or pending request named `name`. */
export function card(page: Page, name: string): Locator {
  return page.getByRole('listitem', { name, exact: true });
}

/** Whether the element `locator` finds has the keyboard focus. */
export function focused(locator: Locator): Promise<boolean> {
  return locator
    .and(locator.page().locator(':focus'))
    .count()
    .then((n) => n === 1);
}

/** What has the focus, in words for an assertion message: its tag and its label or text. */
export function whatHasFocus(page: Page): Promise<string> {
  return page.evaluate<string>(
    `(() => { const e = document.activeElement; return e ? e.tagName + ' ' + (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 60) : 'none'; })()`,
  );
}

/**
 * True once `locator` has the focus, polling for up to `timeoutMs`: focus that a view moves in an
 * effect lands a frame after the text that announced the change.
 */
export async function becomesFocused(locator: Locator, timeoutMs = 2_000): Promise<boolean> {
  return until('the focus', () => focused(locator), { timeoutMs, everyMs: 25 }).then(
    () => true,
    () => false,
  );
}

/** Polls a locator's text until it matches; the error shows what it said instead. */
export async function waitForText(locator: Locator, re: RegExp, timeoutMs = 10_000): Promise<string> {
  let text = '';
  return until(
    `text matching ${re}`,
    async () => {
      text = await locator.innerText().catch(() => '');
      return re.test(text) && text;
    },
    { timeoutMs, everyMs: 100 },
  ).catch(() => {
    throw new Error(`never matched ${re}; it says:\n${text}`);
  });
}

/** Waits until the active terminal (xterm's DOM rows) shows `re`; returns the screen's text. */
export function waitForScreen(page: Page, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitForText(page.locator('.terminal-pane .xterm-rows'), re, timeoutMs);
}

/** Controls on the page without an accessible name: labels, aria-label(ledby), or text. */
export const UNNAMED = `(() => {
  const named = (el) =>
    (el.getAttribute('aria-label') || '').trim() ||
    (el.getAttribute('aria-labelledby') || '').trim() ||
    (el.labels && el.labels.length > 0) ||
    (el.tagName === 'BUTTON' && el.textContent.trim());
  return [...document.querySelectorAll('button, input, select, textarea, [role="tab"], [role="switch"]')]
    .filter((el) => !el.closest('.xterm') && !named(el))
    .map((el) => el.outerHTML.slice(0, 120));
})()`;

/**
 * Throws unless all of `inner` lies within `outer` (both on screen now): for layouts at a small window,
 * where a fixed-width row would run past its card's edge, be cut off, or hide behind a scroll bar.
 */
export async function assertWithin(inner: Locator, outer: Locator, what: string): Promise<void> {
  const [i, o] = await Promise.all([inner.boundingBox(), outer.boundingBox()]);
  if (!i || !o) throw new Error(`${what}: not on screen`);
  const slack = 0.5;
  if (i.x < o.x - slack || i.x + i.width > o.x + o.width + slack) {
    throw new Error(
      `${what}: spans x ${Math.round(i.x)}–${Math.round(i.x + i.width)}, outside ${Math.round(o.x)}–${Math.round(o.x + o.width)}`,
    );
  }
}

/**
 * The toast saying `text`, found by its Dismiss button ("Dismiss: <text>"): the text alone is also in
 * the hidden live region that announces it.
 */
export function toast(page: Page, text: string): Locator {
  return page.getByRole('button', { name: `Dismiss: ${text}`, exact: true });
}
