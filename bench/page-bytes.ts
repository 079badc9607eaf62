/**
 * Row `page-bytes` (issue 83, ADR 0107): the browser page's bytes over the wire in Chromium, ours beside
 * WeTTY 3.2's measured the same way. Each page is opened in a fresh profile (an empty cache) with
 * Chromium's own `Accept-Encoding` (gzip, deflate, br, zstd) and counted as DevTools counts it
 * (test/helpers/page-traffic.ts: every request's bytes received, headers included) until it shows its
 * first screen — ours: This browser with its fingerprint; WeTTY's: its terminal — and the network is
 * quiet; then reloaded (a returning visit) and counted again.
 *
 * Ours is a `clawbridge relay --no-tls` on loopback serving the built dist/web-node/. WeTTY is
 * installed at bench time into a temporary folder (`npm install --prefix`, version WETTY_VERSION) and
 * run on loopback with `--command` so it needs no sshd (its page is the same); when it cannot be
 * installed or run (no network, no compiler for its node-pty) its side is skipped with the reason.
 * `CLAWBRIDGE_BENCH_WETTY_PREFIX=DIR` uses a WeTTY already installed there (`npm install --prefix DIR
 * wetty@3.2.0`) instead, for runs one after another: the install takes minutes.
 * `measurePageBytes()` is what bench/run.ts calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { browserMissing, launchBrowser } from '../test/helpers/browser.js';
import { watchTraffic } from '../test/helpers/page-traffic.js';
import { until } from '../test/helpers/wait.js';
import { CLI } from './cli-agents.js';
import { killByPid, launch, runToEnd, tail, type Launched } from './processes.js';

/** The WeTTY release the issue compares with. */
export const WETTY_VERSION = '3.2.0';
/** Issue 83's target for our first load, in bytes on the wire. */
export const TARGET_PAGE_FIRST_LOAD_BYTES = 450_000;
/** How long a page may take to show its first screen, in ms (a loaded two-core machine). */
const FIRST_SCREEN_MS = 60_000;
/** How long WeTTY's install may take, in ms (it compiles node-pty). */
const INSTALL_MS = 600_000;

/** One page's visit: a first load and a reload, each in bytes over the network and requests sent. */
export interface PageVisit {
  firstBytes: number;
  firstRequests: number;
  /** Of those, the requests that crossed the network (not answered by the cache). */
  returningBytes: number;
  returningRequests: number;
}

export interface PageBytesResult {
  ours: PageVisit | { skipped: string };
  wetty: PageVisit | { skipped: string };
}

/** A free loopback TCP port, for WeTTY, which cannot listen on port 0 and say where it landed. */
async function loopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Opens `url` in a fresh context, waits for `firstScreen`, counts; reloads, waits again, counts. */
async function visit(
  browser: Browser,
  url: string,
  firstScreen: (page: Page) => Locator,
): Promise<PageVisit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const traffic = await watchTraffic(page);
    const load = async (go: () => Promise<unknown>) => {
      traffic.clear();
      await go();
      await firstScreen(page).first().waitFor({ timeout: FIRST_SCREEN_MS });
      // The favicon and late fetches: Playwright's networkidle (no request for 500 ms) is the end of the load.
      await page.waitForLoadState('networkidle', { timeout: FIRST_SCREEN_MS });
      const open = () => traffic.fetched.filter((f) => !f.finished && !f.fromCache && f.type !== 'WebSocket');
      await until('every request of the page finished', () => open().length === 0, FIRST_SCREEN_MS).catch(
        () => {
          throw new Error(
            `requests never finished: ${open()
              .map((f) => f.url)
              .join(', ')}`,
          );
        },
      );
      if (process.env.CLAWBRIDGE_BENCH_PAGE_LIST)
        for (const f of traffic.fetched)
          console.log(`  ${f.type} ${f.url} ${f.status} ${f.fromCache ? 'cache' : f.bytes}`);
      return { bytes: traffic.bytes(), requests: traffic.network().length };
    };
    const first = await load(() => page.goto(url));
    const returning = await load(() => page.reload());
    return {
      firstBytes: first.bytes,
      firstRequests: first.requests,
      returningBytes: returning.bytes,
      returningRequests: returning.requests,
    };
  } finally {
    await context.close();
  }
}

async function ours(browser: Browser): Promise<PageVisit> {
  const home = mkdtempSync(join(tmpdir(), 'cb-bench-page-'));
  const relay = launch(process.execPath, [
    CLI,
    'relay',
    '--listen',
    '127.0.0.1:0',
    '--no-tls',
    '--home',
    home,
  ]);
  try {
    const m = await relay.waitFor(
      /^relay page at (http:\/\/127\.0\.0\.1:\d+\/) /m,
      30_000,
      'clawbridge relay',
    );
    // The first screen: the fingerprint under This browser (the page made its identity and is up).
    return await visit(browser, m[1]!, (page) =>
      page.getByRole('region', { name: 'This browser' }).getByRole('code'),
    );
  } finally {
    await killByPid(relay.proc);
    rmSync(home, { recursive: true, force: true });
  }
}

async function wetty(browser: Browser): Promise<PageVisit> {
  const given = process.env.CLAWBRIDGE_BENCH_WETTY_PREFIX;
  const prefix = given ?? mkdtempSync(join(tmpdir(), 'cb-bench-wetty-'));
  let server: Launched | undefined;
  try {
    if (!given)
      await runToEnd(
        'npm',
        [
          'install',
          '--prefix',
          prefix,
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
          `wetty@${WETTY_VERSION}`,
        ],
        INSTALL_MS,
        `npm install wetty@${WETTY_VERSION}`,
      );
    const port = await loopbackPort();
    const main = join(prefix, 'node_modules', 'wetty', 'build', 'main.js');
    server = launch(process.execPath, [
      main,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--command',
      'sh',
    ]);
    await server.waitFor(/Server started/, 60_000, 'wetty');
    // WeTTY 3.2 serves its page at its base, `/` unless --base says otherwise.
    return await visit(browser, `http://127.0.0.1:${port}/`, (page) => page.locator('.xterm'));
  } catch (err) {
    throw new Error(
      `${(err as Error).message}${server ? ` (wetty said: ${tail(server.stderr() + server.stdout())})` : ''}`,
    );
  } finally {
    await killByPid(server?.proc);
    if (!given) rmSync(prefix, { recursive: true, force: true });
  }
}

const skipped = (err: unknown) => ({ skipped: err instanceof Error ? err.message : String(err) });

/** The row: our page and WeTTY's, each a first load and a reload in Chromium. */
export async function measurePageBytes(): Promise<PageBytesResult> {
  const missing = browserMissing();
  if (missing) return { ours: { skipped: missing }, wetty: { skipped: missing } };
  const browser = await launchBrowser();
  try {
    const mine = await ours(browser).catch(skipped);
    const theirs = await wetty(browser).catch(skipped);
    return { ours: mine, wetty: theirs };
  } finally {
    await browser.close();
  }
}

/** The row's lines, as bench/run.ts prints them. */
export function pageBytesLines(r: PageBytesResult): string[] {
  const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
  const line = (name: string, v: PageVisit | { skipped: string }) =>
    'skipped' in v
      ? `${name}: skipped (${v.skipped})`
      : `${name}: first load ${kb(v.firstBytes)} in ${v.firstRequests} requests, returning ${kb(v.returningBytes)} in ${v.returningRequests}`;
  const lines = [line('page-bytes ours', r.ours), line('page-bytes wetty', r.wetty)];
  if (!('skipped' in r.ours)) {
    const pass = r.ours.firstBytes <= TARGET_PAGE_FIRST_LOAD_BYTES;
    lines.push(
      `page-bytes target first load <= ${kb(TARGET_PAGE_FIRST_LOAD_BYTES)}: ${pass ? 'pass' : 'FAIL'}`,
    );
    if (!('skipped' in r.wetty))
      lines.push(`page-bytes ours/wetty first load: ${(r.ours.firstBytes / r.wetty.firstBytes).toFixed(2)}x`);
  }
  return lines;
}

/** The gate's figures (bench/compare-rows.ts): our first load in KB, and over WeTTY's when both ran. */
export function pageBytesRatios(r: PageBytesResult): Record<string, number> {
  if ('skipped' in r.ours) return {};
  const ratios: Record<string, number> = { 'page-bytes KB': r.ours.firstBytes / 1000 };
  if (!('skipped' in r.wetty)) ratios['page-bytes/wetty'] = r.ours.firstBytes / r.wetty.firstBytes;
  return ratios;
}

// Run as a script (`npx tsx bench/page-bytes.ts [--json]` after `npm run build`): the row on its own;
// with --json (as bench/run.ts runs it) stdout carries only the document, its figures under `ratios`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  measurePageBytes().then(
    (result) => {
      if (json) {
        console.log(JSON.stringify({ ...result, ratios: pageBytesRatios(result) }));
        return;
      }
      for (const l of pageBytesLines(result)) console.log(l);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
