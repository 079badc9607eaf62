/**
 * Viewers that are the relay's page in Chromium (`bench/share-viewers.ts --pages N`): each joins a
 * shared session by a link of its own (`terminal.share` with `link`), in a fresh profile, the way a
 * colleague with no Clawbridge would (docs/adr/0123-shared-terminals.md §Link), and draws it in its
 * xterm. The bench reads their screens only to know when a run reached them, and their CPU (the
 * browser's process tree) beside the viewers' agents'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchOptions } from '../scripts/test-browser-launch.mjs';
import { CHROMIUM } from './ui-echo.js';

/** How long opening a page and joining may take, in ms. */
const JOIN_MS = 60_000;

export interface PageViewers {
  /** Chromium's PID: its process tree is every page's CPU. */
  readonly pid: number;
  /** Joins `n` pages to a session, a link each from `link()`. */
  join(n: number, link: () => Promise<string>): Promise<Page[]>;
  /** Resolves once every page in `pages` shows `marker` on its screen. */
  showing(pages: Page[], marker: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

const SCREEN = '.watch-terminal .xterm-rows';

export async function startPageViewers(): Promise<PageViewers> {
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ ...launchOptions(CHROMIUM), timeout: JOIN_MS });
  const pid = chromiumChild();
  if (!pid) throw new Error('share-viewers: no Chromium process found under this one to read its CPU from');
  return {
    pid,
    async join(n, link) {
      const pages: Page[] = [];
      for (let i = 0; i < n; i++) {
        // The bench's relay is wss with a self-signed certificate, pinned by the agents; a page has
        // no pin to give, so its profile takes the certificate as a browser told to would.
        const context = await browser.newContext({
          ignoreHTTPSErrors: true,
          viewport: { width: 1280, height: 800 },
        });
        const page = await context.newPage();
        page.setDefaultTimeout(JOIN_MS);
        await page.goto(await link());
        await page.getByRole('button', { name: 'Watch', exact: true }).click();
        await page.locator(SCREEN).waitFor();
        pages.push(page);
      }
      return pages;
    },
    async showing(pages, marker, ms) {
      await Promise.all(
        pages.map((page) =>
          page.waitForFunction(
            // Runs in the page, where `document` is; this file is type-checked without the DOM's types.
            ([selector, text]) =>
              (
                globalThis as unknown as {
                  document: { querySelector(s: string): { textContent: string | null } | null };
                }
              ).document
                .querySelector(selector!)
                ?.textContent?.includes(text!) ?? false,
            [SCREEN, marker],
            { timeout: ms, polling: 20 },
          ),
        ),
      );
    },
    close: () => browser.close(),
  };
}

/** The Chromium this process launched: its child whose name says so (playwright starts it directly). */
function chromiumChild(): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /chrom/i.test(comm)) return Number(name);
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}
