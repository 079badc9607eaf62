/**
 * A feature is one line in the window's list (docs/architecture.md §A domain's window and commands,
 * ADRs 0086 and 0088): the window built with one more feature (toy-feature/), on a fake agent, shows it
 * everywhere a feature reaches — its sidebar entry with its count, its view, its Settings section, its
 * permission word as a box and in the peer card's words, its peer card action (unavailable, with why,
 * while the peer refuses its word), and its link with a parameter, followed through its own `follow`
 * into its own service — with no shared file changed. Built with Vite into a temp folder, served on
 * loopback, opened in Chromium.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { domainFeatures } from '../../scripts/domain-features.js';
import { CHROMIUM, card, launchBrowser, nav, screenshotThemes } from '../helpers/browser.js';
import { tempDir } from '../helpers/temp-dir.js';
import { sourcesOverTranspiled } from '../helpers/transpiled.js';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}; browser tests skipped`;
if (skip) console.log(`# ${skip}`);

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;

/** The toy window, built as the real one is (vite.config.ts), into `outDir`. */
async function buildToyWindow(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: fileURLToPath(new URL('./toy-feature/', import.meta.url)),
    base: './',
    logLevel: 'warn',
    // Vite's own cache stays in the temp folder, not in the shared node_modules.
    cacheDir: join(outDir, '.vite'),
    esbuild: { jsx: 'automatic' },
    // The domains' features, from their list, as the window's own build takes them.
    plugins: [sourcesOverTranspiled(), domainFeatures()],
    build: {
      outDir: join(outDir, 'page'),
      emptyOutDir: true,
      modulePreload: { polyfill: false },
      target: 'chrome140',
      minify: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 100_000,
    },
  });
}

before(async () => {
  if (skip) return;
  const out = tempDir('cb-toy-window-');
  await buildToyWindow(out);
  const root = join(out, 'page');
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.getByRole('heading', { name: 'Peers' }).waitFor();
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('a toy feature in the list gets its sidebar entry, count and view', { skip }, async () => {
  const entry = nav(page, 'Toy 2 toys');
  await entry.waitFor();
  // After the real ones, in the order of the list.
  const names = await page.getByRole('navigation', { name: 'Views' }).getByRole('button').allInnerTexts();
  assert.deepEqual(
    names.map((n) => n.replace(/\s*\d+$/, '')),
    [
      'Peers',
      'Approvals',
      'Pair',
      'Groups',
      'Terminals',
      'Messages',
      'Files',
      'Forwards',
      'Connections',
      'Activity',
      'Settings',
      'Toy',
    ],
  );
  await entry.click();
  await page.getByRole('heading', { name: 'Toy things' }).waitFor();
  assert.equal(await page.title(), 'Toy — Clawbridge');
  assert.equal(await page.getByRole('main', { name: 'Toy' }).count(), 1);
});

test(
  "a toy feature's permission word is a box, is worded on the peer card, and gates its action",
  {
    skip,
  },
  async () => {
    await nav(page, 'Peers').click();
    const b = card(page, 'b');
    await b.waitFor();
    await b.getByText('may do here: terminal, toy').waitFor();
    // b lets this device use terminals and forwards, not toys: the toy action says so, and does nothing.
    await b.getByText(/^b does not allow toys from this device/).waitFor();
    const play = b.getByRole('button', { name: 'Play… with b' });
    assert.equal(await play.getAttribute('aria-disabled'), 'true');
    await play.click({ force: true });
    assert.equal(await page.getByRole('heading', { name: 'Toy things' }).count(), 0, 'refused: stays');
    // Between the terminals' action (order 10) and the forwards' (order 20).
    const actions = await b.getByRole('button').allInnerTexts();
    const at = (text: string) => actions.indexOf(text);
    assert.ok(at('Open terminal') < at('Play…') && at('Play…') < at('Forward a port…'), actions.join(' | '));

    await b.getByRole('button', { name: 'Permissions of b' }).click();
    const box = page.getByRole('dialog').getByRole('checkbox', { name: 'Play with toys here' });
    assert.equal(await box.isChecked(), true);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  },
);

test('a toy feature adds its Settings section, and its word to the boxes there', { skip }, async () => {
  await nav(page, 'Settings').click();
  await page.getByRole('heading', { name: 'Toy settings' }).waitFor();
  const group = page.getByRole('group', { name: 'An introduced device may' });
  assert.equal(await group.getByRole('checkbox', { name: 'Play with toys here' }).isChecked(), false);
  const labels = (await group.locator('label').allInnerTexts()).map((l) => l.trim());
  assert.deepEqual(labels, [
    'Open terminals here',
    'Forward connections through here',
    'Use this device as a relay',
    'Listen on ports here (reverse forwards)',
    'Send messages to programs here',
    'Send files here (into the file inbox)',
    'Play with toys here',
  ]);
  await screenshotThemes(page, 'toy-feature-settings');
});

/** Sets the page's fragment, as a link opened in this tab does (main.tsx follows it on `hashchange`). */
async function setHash(hash: string): Promise<void> {
  await page.evaluate((h) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = h;
  }, hash);
}

test(
  "a toy feature's link with a parameter opens its view for it, and its own follow and service run once",
  { skip },
  async () => {
    await nav(page, 'Peers').click();
    // A link in the fragment, as a tray item or a bookmark gives it.
    await setHash('#toy?thing=ball');
    await page.getByRole('heading', { name: 'Toy things' }).waitFor();
    await page.getByText('Opened to play with ball').waitFor();
    await page.getByText('In the box: ball').waitFor();
    // The same kind of link from the agent, as the desktop app moves an open window.
    await page.evaluate(() =>
      (globalThis as unknown as { toyAgent: { emit(e: string, d: unknown): void } }).toyAgent.emit(
        'app.navigate',
        {
          view: 'toy',
          detail: 'thing=kite',
        },
      ),
    );
    await page.getByText('Opened to play with kite').waitFor();
    await page.getByText('In the box: ball, kite').waitFor();
    await screenshotThemes(page, 'toy-feature-link');
    // Shown again from the sidebar: opened for nothing, and the box is the same one.
    await nav(page, 'Peers').click();
    await nav(page, 'Toy 2 toys').click();
    await page.getByText('In the box: ball, kite').waitFor();
    assert.equal(await page.getByText(/^Opened to play with/).count(), 0);
    // A link with a parameter of a view no feature has is ignored.
    await setHash('#nowhere?thing=ball');
    await page.getByText('In the box: ball, kite').waitFor();
    assert.equal(await page.getByRole('main', { name: 'Toy' }).count(), 1);
  },
);
