/**
 * The relay's page in Chromium (ADR 0094): a fresh profile opens the relay's root, shows its fingerprint
 * under This browser, enters a code from `clawbridge pair new` on a node behind the relay, the node's
 * owner approves, and the page opens a terminal to it where `echo $((6*7))` answers 42; a capture of
 * the relay's port holds nothing typed. Reloaded, it is still paired and opens a new terminal. The page
 * carries the strict CSP and its script's integrity, and the relay printed the page's hash.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import { browserMissing, grouped, launchBrowser, screenshotThemes, waitForText } from '../helpers/browser.js';
import { startCapture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import {
  agentCall,
  cli,
  cliJson,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/** The part of a page's IndexedDB the hostile-origin test reads. */
interface PageIndexedDb {
  open(name: string): {
    result: { objectStoreNames: ArrayLike<string> };
    onsuccess: (() => void) | null;
    onerror: (() => void) | null;
  };
}

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(stopAll);

test(
  'Chromium pairs with the relay page and runs a terminal on the node behind it',
  { skip: missing ?? false },
  async () => {
    const marker = `PAGE${randomBytes(12).toString('hex')}`;
    const port = await freePort();
    const capture = await startCapture(port);
    const relay = await startRelay(port);
    const printed = await relay.proc.waitForLine(
      /^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256 ([0-9a-f]{64})$/m,
    );
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);

    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
      });
      const answer = await page.goto(printed[1]!);
      const headers = answer!.headers();
      assert.match(headers['content-security-policy'] ?? '', /script-src 'self'; .*frame-ancestors 'none'/);
      // The hash the relay printed is the page it served (which pins its script by integrity).
      assert.equal(
        createHash('sha256')
          .update(await answer!.body())
          .digest('hex'),
        printed[2],
      );
      assert.match((await page.locator('script[type=module]').getAttribute('integrity')) ?? '', /^sha384-/);

      const mine = page.getByRole('region', { name: 'This browser' });
      const fingerprint = (await waitForText(mine, /([0-9a-f]{4} ){15}[0-9a-f]{4}/))
        .match(/([0-9a-f]{4} ?){16}/)![0]
        .replace(/ /g, '');
      await page.getByLabel('Pairing code').fill(code.code);
      await page.getByRole('button', { name: 'Join' }).click();
      await until(
        'the page waits for approval on the node',
        async () => (await agentCall(home, 'pending.list', {})).some((p) => p.fingerprint === fingerprint),
        30_000,
      );
      const approved = await cli(['approve', '--latest', '--home', home]);
      assert.equal(approved.code, 0, approved.stderr);
      await waitForText(page.getByRole('status'), /Paired with office/, 30_000);
      const peer = (await agentCall(home, 'peers.list', {})).find(
        (p: PeerInfo) => p.fingerprint === fingerprint,
      );
      assert.equal(peer?.kind, 'browser');

      await page.getByRole('button', { name: 'Open terminal' }).click();
      await waitForText(page.getByRole('status'), /Terminal on office/, 30_000);
      await page.keyboard.type(`echo $((6*7)) ${marker}\n`);
      await waitForText(page.locator('.xterm-rows'), new RegExp(`^42 ${marker}$`, 'm'), 30_000);
      await screenshotThemes(page, 'browser-node-terminal');

      // Reloaded: still paired (same fingerprint, no new code), the device comes back, a new terminal opens.
      await page.reload();
      await waitForText(mine, new RegExp(grouped(fingerprint)));
      await page.getByRole('button', { name: 'Open terminal' }).click();
      await waitForText(page.getByRole('status'), /Terminal on office/, 30_000);
      await page.keyboard.type('echo $((6*7))\n');
      await waitForText(page.locator('.xterm-rows'), /^42$/m, 30_000);
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no new request after the reload');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await capture?.stop();
    }
    if (capture) {
      const captured = capture.bytes();
      assert.ok(
        captured.includes(Buffer.from('clawbridge browser')),
        'capture holds the page’s relay traffic',
      );
      assert.equal(captured.includes(marker), false, 'a marker typed in the page is in the relay capture');
    }
  },
);

test(
  'on a 390 × 844 phone screen the device list, a terminal and the key row are usable',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m);
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      const page = await context.newPage();
      await page.goto(printed[1]!);
      await page.getByLabel('Pairing code').fill(code.code);
      await page.getByRole('button', { name: 'Join' }).tap();
      await until(
        'the page waits for approval on the node',
        async () => (await cli(['approve', '--latest', '--home', home])).code === 0,
        30_000,
      );
      await waitForText(page.getByRole('status'), /Paired with office/, 30_000);
      const open = page.getByRole('button', { name: 'Open terminal' });
      const box = await open.boundingBox();
      assert.ok(
        box && box.x >= 0 && box.x + box.width <= 390,
        `Open terminal fits the screen: ${JSON.stringify(box)}`,
      );
      await open.tap();
      await waitForText(page.getByRole('status'), /Terminal on office/, 30_000);
      await page.keyboard.type('echo $((6*7))\n');
      await waitForText(page.locator('.xterm-rows'), /^42$/m, 30_000);
      // The key row: ↑ recalls the command, as the arrow key of a keyboard would.
      const keys = page.getByRole('toolbar', { name: 'Keys' });
      for (const name of ['Escape', 'Tab', 'Ctrl', 'Left', 'Up', 'Down', 'Right']) {
        const key = await keys.getByRole('button', { name, exact: true }).boundingBox();
        assert.ok(key && key.x >= 0 && key.x + key.width <= 390, `${name} fits the screen`);
      }
      await keys.getByRole('button', { name: 'Up', exact: true }).tap();
      await page.keyboard.press('Enter');
      await until(
        'the recalled command answers again',
        async () => ((await page.locator('.xterm-rows').innerText()).match(/^42$/gm) ?? []).length === 2,
        30_000,
      );
      await screenshotThemes(page, 'browser-node-phone');
    } finally {
      await browser.close();
    }
  },
);

test(
  'a hostile origin can neither frame the page, use the relay’s socket, nor read the page’s identity',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m);
    const pageUrl = printed[1]!;
    // Another site: a page on another origin (another port) that frames the relay's page and calls its socket.
    const hostile = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><iframe id="f" src="${pageUrl}"></iframe>`),
    );
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(pageUrl);
      const mine = page.getByRole('region', { name: 'This browser' });
      const own = await waitForText(mine, /([0-9a-f]{4} ){15}[0-9a-f]{4}/);

      const other = await context.newPage();
      await other.goto(hostileUrl);
      // frame-ancestors 'none': the frame stays empty, the page's script never runs in it.
      await until('the frame has settled', () => other.frames().length === 2, 10_000);
      const framed = other.frames()[1]!;
      assert.equal(await framed.locator('#app').count(), 0, 'the relay page ran inside another site');
      // The relay refuses a WebSocket from this origin before the upgrade.
      const outcome = await other.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          }),
        relay.url,
      );
      assert.equal(outcome, 'refused');
      // IndexedDB is the relay origin's: this origin finds no identity there.
      const stores = await other.evaluate(
        () =>
          new Promise<string[]>((resolve) => {
            // The page's IndexedDB, typed here: the tests compile without the DOM's typings.
            const idb = (globalThis as unknown as { indexedDB: PageIndexedDb }).indexedDB;
            const req = idb.open('clawbridge-browser-node');
            req.onsuccess = () => resolve(Array.from(req.result.objectStoreNames));
            req.onerror = () => resolve(['error']);
          }),
      );
      assert.deepEqual(stores, [], 'another origin sees the page’s stores');
      // The page itself still has its identity after all this.
      await page.reload();
      await waitForText(mine, new RegExp(own.match(/([0-9a-f]{4} ?){16}/)![0]));
    } finally {
      await browser.close();
      hostile.close();
    }
  },
);

test(
  'the page is installable: it links a web app manifest the relay serves, with its icon, that Chromium reads',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext()).newPage();
      const violations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy|manifest/i.test(msg.text())) violations.push(msg.text());
      });
      await page.goto(printed[1]!);
      assert.equal(await page.locator('link[rel=manifest]').getAttribute('href'), '/manifest.webmanifest');

      const served = await page.request.get(new URL('/manifest.webmanifest', printed[1]).href);
      assert.equal(served.status(), 200);
      assert.match(served.headers()['content-type'] ?? '', /^application\/manifest\+json/);
      assert.match(served.headers()['content-security-policy'] ?? '', /manifest-src 'self'/);
      const manifest = (await served.json()) as {
        name: string;
        display: string;
        start_url: string;
        icons: { src: string; sizes: string }[];
      };
      assert.equal(manifest.name, 'Clawbridge');
      assert.equal(manifest.display, 'standalone');
      assert.equal(manifest.start_url, '/');
      for (const icon of manifest.icons) {
        const image = await page.request.get(new URL(icon.src, printed[1]).href);
        assert.equal(image.status(), 200, icon.src);
        assert.equal(image.headers()['content-type'], 'image/png');
      }
      assert.ok(
        manifest.icons.some((i) => i.sizes === '512x512'),
        'a 512 px icon',
      );

      // Chromium itself fetched and parsed it under the page's CSP.
      const cdp = await page.context().newCDPSession(page);
      const read = (await cdp.send('Page.getAppManifest')) as {
        url: string;
        errors: { message: string }[];
        data?: string;
      };
      assert.equal(read.url, new URL('/manifest.webmanifest', printed[1]).href);
      assert.deepEqual(read.errors, []);
      assert.match(read.data ?? '', /"display": ?"standalone"/);
      assert.deepEqual(violations, []);
    } finally {
      await browser.close();
    }
  },
);
