/**
 * The window in a real browser for end-to-end tests (DESIGN §12): Debian's Chromium driven by
 * playwright-core, opening an agent's web UI link. Nothing is downloaded: when /usr/bin/chromium is
 * missing the tests skip and say why (.ci/run installs it where it can).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { cliJson } from './processes.js';

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

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-sync',
    ],
  });
}

/** The agent's web UI link with its token, as `clawbridge ui --no-open --json` prints it. */
export async function uiUrl(home: string): Promise<string> {
  const r = await cliJson<{ url: string }>(['ui', '--no-open', '--home', home]);
  return r.url;
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

/** Saves a full-window screenshot as test-results/screenshots/NAME-THEME.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Screenshots of the current view in the light and the dark theme (emulated prefers-color-scheme). */
export async function screenshotThemes(page: Page, name: string): Promise<string[]> {
  const paths: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(150);
    paths.push(await screenshot(page, `${name}-${colorScheme}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return paths;
}

/** A loopback port free right now (for an agent whose UI must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
