/**
 * The relay's page in Chromium (ADR 0094): the window the desktop app shows, on the browser node's own
 * transport. A fresh profile opens the relay's root, shows its fingerprint under This browser, enters a
 * code from `clawbridge pair new` on a node behind the relay as its Pairing code, the node's owner
 * approves, and the device's card opens a terminal where `echo $((6*7))` answers 42; a capture of the
 * relay's port holds nothing typed. Reloaded, it is still paired, its terminal is back on the same
 * shell, and a new terminal takes what is typed while it opens. The page
 * carries the strict CSP and integrity on its script and stylesheet, and the hash the relay printed
 * is the one over every file it serves.
 *
 * The tests that neither stop the device nor need its relay on a port of their own share one relay and
 * device (`sharedRelayWithDevice`); each pairs a browser of its own.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIRequestContext } from 'playwright-core';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import {
  browserMissing,
  card,
  closeContexts,
  closeSharedBrowser,
  focused,
  nav,
  openUi,
  screenshotThemes,
  sharedBrowser,
  uiUrl,
  waitForText,
} from '../helpers/browser.js';
import { defaultBrowserName } from '../../src-web/window/browser-name.js';
import { startCapture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { agentCall, approveWhenPending, cli, cliJson, stopAll } from '../helpers/processes.js';
import {
  DEVICE,
  deviceCard,
  deviceOnline,
  enterCode,
  openRelayPage,
  openTerminal,
  pairWithDevice,
  relayWithDevice,
  run,
  sharedRelayWithDevice,
  screen,
  shownFingerprint,
  terminalLive,
  thisBrowser,
} from '../helpers/relay-page.js';
import { until } from '../helpers/wait.js';

/** The part of a page's IndexedDB the hostile-origin test reads. */
interface PageIndexedDb {
  open(name: string): {
    result: { objectStoreNames: ArrayLike<string> };
    onsuccess: (() => void) | null;
    onerror: (() => void) | null;
  };
}

/**
 * The page's hash as docs/security.md says to recompute it, from what the page names: index.html as
 * served, what it loads from /assets (named by src or href, or in its import map), the manifest and
 * every icon named; one `<sha256>  <path>` line
 * each, sorted by path, hashed.
 */
async function pageHashFromOutside(request: APIRequestContext, base: string): Promise<string> {
  const get = async (path: string) => {
    const answer = await request.get(new URL(path, base).href);
    assert.equal(answer.status(), 200, path);
    return answer.body();
  };
  const index = await get('/');
  const html = index.toString('utf8');
  const paths = new Set(
    [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!).filter((p) => p !== '/'),
  );
  // The scripts loaded on demand, named by the import map that carries their integrity.
  const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(html)?.[1];
  const integrity = (JSON.parse(importMap ?? '{}') as { integrity?: Record<string, string> }).integrity ?? {};
  for (const path of Object.keys(integrity)) paths.add(path);
  const manifest = JSON.parse((await get('/manifest.webmanifest')).toString('utf8')) as {
    icons: { src: string }[];
  };
  for (const icon of manifest.icons) paths.add(new URL(icon.src, base).pathname);
  const files: [string, Buffer][] = [['/index.html', index]];
  for (const path of paths) files.push([path, await get(path)]);
  const lines = files
    .map(([path, body]) => [path, createHash('sha256').update(body).digest('hex')] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, hex]) => `${hex}  ${path}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(async () => {
  await closeSharedBrowser();
  await stopAll();
});

test(
  'Chromium pairs with the relay page and runs a terminal on the node behind it',
  { skip: missing ?? false },
  async () => {
    const marker = `PAGE${randomBytes(12).toString('hex')}`;
    const port = await freePort();
    const capture = await startCapture(port);
    const { pageUrl, printedHash, home } = await relayWithDevice(port);

    const browser = await sharedBrowser();
    try {
      const { page, errors } = await openRelayPage(browser, pageUrl);
      const answer = await page.request.get(pageUrl);
      const headers = answer.headers();
      // Its own scripts, and inline only its import map, allowed by the hash of its text (ADR 0107).
      const csp = headers['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; .*frame-ancestors 'none'/);
      const importMap = await page.locator('script[type=importmap]').textContent();
      const mapHash = createHash('sha256')
        .update(importMap ?? '')
        .digest('base64');
      assert.ok(csp.includes(`'sha256-${mapHash}'`), `the CSP allows the import map by its hash: ${csp}`);
      assert.match((await page.locator('script[type=module]').getAttribute('integrity')) ?? '', /^sha384-/);
      assert.match((await page.locator('link[rel=stylesheet]').getAttribute('integrity')) ?? '', /^sha384-/);
      // The hash the relay printed covers every file the page is made of, as served.
      assert.equal(await pageHashFromOutside(page.request, pageUrl), printedHash);

      const fingerprint = await shownFingerprint(page);
      const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);
      await enterCode(page, code.code);
      await until(
        'the page waits for approval on the node',
        async () => (await agentCall(home, 'pending.list', {})).some((p) => p.fingerprint === fingerprint),
        30_000,
      );
      // Both fingerprints to compare while the owner decides.
      await page.getByText("This browser's fingerprint").waitFor({ timeout: 30_000 });
      await screenshotThemes(page, 'browser-node-waiting');
      const approved = await cli(['approve', '--latest', '--home', home]);
      assert.equal(approved.code, 0, approved.stderr);
      await deviceCard(page).getByRole('button', { name: 'Open terminal' }).waitFor({ timeout: 30_000 });
      const peer = (await agentCall(home, 'peers.list', {})).find(
        (p: PeerInfo) => p.fingerprint === fingerprint,
      );
      assert.equal(peer?.kind, 'browser');
      // The device's state: online, through the relay.
      await deviceOnline(page);
      await screenshotThemes(page, 'browser-node-devices');

      await openTerminal(page);
      await run(page, `echo $((6*7)) ${marker}`, new RegExp(`^42 ${marker}$`, 'm'));
      await run(page, 'KEPT=kept-$((20+3)); echo set-$((1+1))', /^set-2$/m);
      await screenshotThemes(page, 'browser-node-terminal');

      // Reloaded: still paired (same fingerprint, no new code), and the terminal is back on the same
      // shell, with what it showed.
      await page.reload();
      // The reload lands on the view it showed: Terminals, with the session taken up again.
      await page.getByRole('main', { name: 'Terminals' }).waitFor();
      await terminalLive(page);
      await waitForText(screen(page), new RegExp(`^42 ${marker}$`, 'm'), 30_000);
      await run(page, 'echo "$KEPT"', /^kept-23$/m);
      assert.equal(
        await page.getByText('No terminal open').count(),
        0,
        'the Terminals view lost its terminal',
      );
      await screenshotThemes(page, 'browser-node-reloaded');
      await nav(page, 'Peers').click();
      assert.equal(await shownFingerprint(page), fingerprint);
      await openTerminal(page);
      await run(page, 'echo $((6*7))', /^42$/m);
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no new request after the reload');
      // Only what a browser node does: no forwards, files, messages, approvals or settings (Groups: a
      // member's side).
      const views = await page.getByRole('navigation', { name: 'Views' }).getByRole('button').allInnerTexts();
      assert.deepEqual(
        views.map((v) => v.trim()),
        ['Peers', 'Pair', 'Groups', 'Terminals'],
      );
      assert.deepEqual(errors, []);
    } finally {
      await closeContexts(browser);
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
  'keys typed while a terminal opens on the device reach its shell once it is open',
  { skip: missing ?? false },
  async () => {
    // The shared device: frozen for a moment only, it is online again for the tests after.
    const { pageUrl, home, agent } = await sharedRelayWithDevice();
    const browser = await sharedBrowser();
    try {
      const { page, errors } = await openRelayPage(browser, pageUrl);
      await shownFingerprint(page);
      await pairWithDevice(page, home);
      await deviceOnline(page);
      // The device frozen: the opening waits on it (a slow link), long enough to type a command meanwhile.
      process.kill(agent.child.pid!, 'SIGSTOP');
      try {
        await deviceCard(page).getByRole('button', { name: 'Open terminal' }).click();
        const connecting = page.getByText(`Connecting to ${DEVICE}…`);
        await connecting.waitFor({ timeout: 10_000 });
        await page.keyboard.type('echo typed-ahead-$((6*7))\n');
        assert.equal(await connecting.count(), 1, 'the keys were typed while the terminal was still opening');
      } finally {
        process.kill(agent.child.pid!, 'SIGCONT');
      }
      // Not anchored to a line: keys that reach a shell still starting are echoed by the terminal and
      // again by its line editor, whose output may then follow on the same line (seen under load).
      // The command's echo says `$((6*7))`, so `42` is only its output.
      const shown = await waitForText(screen(page), /typed-ahead-42/, 30_000);
      assert.equal(shown.match(/typed-ahead-42/g)?.length, 1, 'the typed command ran once');
      assert.deepEqual(errors, []);
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  'the page names itself and is renamed, Join checks a code and clears a refused one, the device says why the browser is relayed, and Open terminal waits for the device',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, home, agent } = await relayWithDevice(0, ['--ui-listen', '127.0.0.1:0']);
    const browser = await sharedBrowser();
    try {
      const { page, errors } = await openRelayPage(browser, pageUrl);
      const fingerprint = await shownFingerprint(page);
      // Its name, from the browser and platform it runs on; renamed, it is kept across a reload.
      const name = thisBrowser(page).getByLabel('Name');
      const userAgent = String(await page.evaluate('navigator.userAgent'));
      await until('the page shows its name', async () => (await name.inputValue()) !== '', 30_000);
      assert.equal(await name.inputValue(), defaultBrowserName(userAgent));
      assert.match(await name.inputValue(), /^Chrome on Linux$/, userAgent);
      await name.fill('Ana’s laptop');
      await thisBrowser(page).getByRole('button', { name: 'Save name' }).click();
      await until(
        'Save name is done',
        async () =>
          (await thisBrowser(page)
            .getByRole('button', { name: 'Save name' })
            .getAttribute('aria-disabled')) === 'true',
        30_000,
      );
      await screenshotThemes(page, 'browser-node-name');
      await page.reload();
      await until('the name is kept', async () => (await name.inputValue()) === 'Ana’s laptop', 30_000);

      // "hello" is no code: said beside the field, and nothing is sent.
      await enterCode(page, 'hello');
      const error = page.locator('#join-error');
      await waitForText(error, /a pairing code is 12 characters, like K7QX-M2RT-9WZA: this has 5/, 10_000);
      assert.equal(await page.getByLabel('Pairing code').inputValue(), 'hello', 'a typo stays to be fixed');
      await screenshotThemes(page, 'browser-node-code-format');
      // A well-formed code nobody waits for is refused: the field empties, the line says which code.
      await enterCode(page, 'k7qx-m2rt-9wza');
      await waitForText(error, /^K7QX-M2RT-9WZA: code invalid or expired/, 30_000);
      assert.equal(await page.getByLabel('Pairing code').inputValue(), '', 'the refused code left the field');
      assert.ok(
        await focused(page.getByLabel('Pairing code')),
        'the focus is back in the field, for the next code',
      );
      await screenshotThemes(page, 'browser-node-code-refused');
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no request reached the device');

      // Paired, the device's owner sees the name it chose. The code and the approval are asked of the
      // device over its control socket: the first test pairs through the commands themselves.
      const code = await agentCall(home, 'pair.new', {});
      await enterCode(page, code.code);
      const pending = await until(
        'the device holds the request',
        async () => (await agentCall(home, 'pending.list', {})).find((p) => p.fingerprint === fingerprint),
        30_000,
      );
      assert.equal(pending.name, 'Ana’s laptop');
      await agentCall(home, 'pending.approve', { id: pending.id });
      await deviceOnline(page);

      // The device's window: the browser under its name, relayed because a browser cannot listen.
      const device = await openUi(browser, await uiUrl(home));
      const onDevice = card(device.page, 'Ana’s laptop');
      await waitForText(
        onDevice,
        /why relayed\? a browser reaches this device only through the relay \(it cannot listen\)/,
        30_000,
      );
      await screenshotThemes(device.page, 'browser-peer-relayed');
      assert.deepEqual(device.errors, []);

      // The device goes away: Open terminal stays, says why, and opens nothing.
      await agent.stop();
      await waitForText(deviceCard(page), /offline|unreachable/, 60_000);
      const open = deviceCard(page).getByRole('button', { name: 'Open terminal' });
      assert.equal(await open.getAttribute('aria-disabled'), 'true');
      const describedBy = (await open.getAttribute('aria-describedby')) ?? '';
      assert.match(
        (await page.locator(`[id="${describedBy}"]`).textContent()) ?? '',
        /^office is (offline|unreachable): it must be online for this$/,
      );
      // Pressed as a keyboard user would: it keeps the focus (aria-disabled), and does nothing.
      await open.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('main', { name: 'Peers' }).count(), 1, 'still on Peers');
      assert.equal(await page.getByRole('tabpanel').count(), 0, 'no terminal tab opened');
      await screenshotThemes(page, 'browser-node-device-offline');
      assert.deepEqual(errors, []);
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  'on a 390 × 844 phone screen the device list, a terminal and the key row are usable',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, home } = await sharedRelayWithDevice();
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, pageUrl, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      await shownFingerprint(page);
      await screenshotThemes(page, 'browser-node-phone-start');
      // An invite link opens the join with its code filled in (the Pair view: joining is all it offers).
      const code = await agentCall(home, 'pair.new', {});
      await page.goto(`${pageUrl}#join?invite=${code.code}`);
      assert.equal(await page.getByLabel('Pairing code').inputValue(), code.code);
      assert.equal(
        await page.getByRole('button', { name: 'Pair new device' }).count(),
        0,
        'a browser shows no code of its own',
      );
      await screenshotThemes(page, 'browser-node-phone-invite');
      await page.getByRole('button', { name: 'Join', exact: true }).tap();
      await approveWhenPending(home);
      await nav(page, 'Peers').tap();
      const open = deviceCard(page).getByRole('button', { name: 'Open terminal' });
      await open.waitFor({ timeout: 30_000 });
      const box = await open.boundingBox();
      assert.ok(
        box && box.x >= 0 && box.x + box.width <= 390,
        `Open terminal fits the screen: ${JSON.stringify(box)}`,
      );
      await screenshotThemes(page, 'browser-node-phone-devices');
      await openTerminal(page, true);
      await run(page, 'echo $((6*7))', /^42$/m);
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
        async () => ((await screen(page).innerText()).match(/^42$/gm) ?? []).length === 2,
        30_000,
      );
      // Ctrl held for the next key: Ctrl then c interrupts what runs.
      await page.keyboard.type('sleep 60\n');
      await keys.getByRole('button', { name: 'Ctrl', exact: true }).tap();
      await page.keyboard.type('c');
      await run(page, 'echo AFTER-$((1+2))', /^AFTER-3$/m);
      await screenshotThemes(page, 'browser-node-phone');
      await nav(page, 'Peers').tap();
      await screenshotThemes(page, 'browser-node-phone-peers');
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  'a hostile origin can neither frame the page, use the relay’s socket, nor read the page’s identity',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, relay } = await sharedRelayWithDevice();
    // Another site: a page on another origin (another port) that frames the relay's page and calls its socket.
    const hostile = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!doctype html><iframe id="f" src="${pageUrl}"></iframe>`),
    );
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/`;
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, pageUrl);
      const own = await shownFingerprint(page);

      const other = await page.context().newPage();
      await other.goto(hostileUrl);
      // frame-ancestors 'none': the frame stays empty, the page's script never runs in it.
      await until('the frame has settled', () => other.frames().length === 2, 10_000);
      const framed = other.frames()[1]!;
      assert.equal(await framed.locator('#root > *').count(), 0, 'the relay page ran inside another site');
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
      assert.equal(await shownFingerprint(page), own);
    } finally {
      await closeContexts(browser);
      hostile.close();
    }
  },
);

test(
  'the page is installable: it links a web app manifest the relay serves, with its icon, that Chromium reads',
  { skip: missing ?? false },
  async () => {
    const { pageUrl } = await sharedRelayWithDevice();
    const browser = await sharedBrowser();
    try {
      const page = await (await browser.newContext()).newPage();
      const violations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy|manifest/i.test(msg.text())) violations.push(msg.text());
      });
      await page.goto(pageUrl);
      assert.equal(await page.locator('link[rel=manifest]').getAttribute('href'), '/manifest.webmanifest');

      const served = await page.request.get(new URL('/manifest.webmanifest', pageUrl).href);
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
        const image = await page.request.get(new URL(icon.src, pageUrl).href);
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
      assert.equal(read.url, new URL('/manifest.webmanifest', pageUrl).href);
      assert.deepEqual(read.errors, []);
      assert.match(read.data ?? '', /"display": ?"standalone"/);
      // The window itself started under the CSP (React, xterm's styles): no violation, no error.
      await shownFingerprint(page);
      assert.deepEqual(violations, []);
    } finally {
      await closeContexts(browser);
    }
  },
);
