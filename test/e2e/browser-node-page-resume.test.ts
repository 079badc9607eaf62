/**
 * The relay's page (the window on the browser node's transport) in Chromium when the network fails it
 * or the device drops it (ADR 0094). A TCP proxy on loopback stands between Chromium and the relay: cut
 * for 10 s (every connection dropped, every new one refused), the page's terminal says it is
 * reconnecting, the device's card says why it cannot be reached, and the terminal resumes on the same
 * shell (`echo $$` gives the same PID) with the output the shell wrote meanwhile arriving once, and a
 * command typed while it said so running there once. When
 * the device's owner runs `clawbridge peers rm` on the browser, the page's terminal ends within 5 s,
 * the card says the device removed this browser, and its Open terminal does nothing. The page also says
 * plainly when the relay cannot be reached and when a code is wrong or expired. The tests share one
 * relay and device (each pairs a browser of its own; none stops the device or the relay): what one
 * leaves behind (a browser paired, one removed) is another node to the next, and no request stays
 * pending past the test that made it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { PeerInfo } from '../../src-main/api/contract.js';
import {
  browserMissing,
  closeContexts,
  closeSharedBrowser,
  nav,
  screenshotThemes,
  sharedBrowser,
  waitForText,
} from '../helpers/browser.js';
import { agentCall, cli, stopAll } from '../helpers/processes.js';
import {
  deviceCard,
  deviceOnline,
  enterCode,
  openRelayPage,
  openTerminal,
  pairWithDevice,
  run,
  screen,
  screenText,
  sharedRelayWithDevice,
  shownFingerprint,
  terminalLive,
} from '../helpers/relay-page.js';
import { sleep, until } from '../helpers/wait.js';

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(async () => {
  await closeSharedBrowser();
  await stopAll();
});

/** A loopback TCP proxy to the relay that the test can cut (drop everything, refuse new) and restore. */
class CuttableProxy {
  private cutOff = false;
  private readonly live = new Set<Socket>();
  private constructor(private readonly server: Server) {}

  static async start(relayPort: number): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (client) => proxy.accept(client, relayPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  private accept(client: Socket, relayPort: number): void {
    if (this.cutOff) return void client.destroy();
    const upstream = connect(relayPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.live.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.live.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.live) s.destroy();
  }

  restore(): void {
    this.cutOff = false;
  }

  close(): void {
    this.cut();
    this.server.close();
  }
}

const count = async (page: Page, re: RegExp) => ((await screenText(page)).match(re) ?? []).length;
/** The bar over the terminal while it is reconnecting (the window's own). */
const reconnecting = (page: Page) =>
  page
    .getByRole('tabpanel')
    .getByRole('status')
    .filter({ hasText: /reconnecting/ });

/** How long the page is cut off from the relay, as the issue asks, in ms. */
const CUT_MS = 10_000;

test(
  'cut from the relay for 10 s, the page’s terminal resumes on the same shell, losing and doubling nothing',
  { skip: missing ?? false },
  async () => {
    const { relay, home } = await sharedRelayWithDevice();
    const proxy = await CuttableProxy.start(relay.port);
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, proxy.url);
      await pairWithDevice(page, home);
      await openTerminal(page);
      // Outputs are matched anywhere on a line: keys sent while the shell is busy are echoed by the
      // terminal and again by its line editor, and an output may then follow a command on its line
      // (seen under load). A command's own echo (`$$`, `$((2+3))`) never reads as its output.
      const pids = async () => [...(await screenText(page)).matchAll(/PID=(\d+)/g)].map((m) => m[1]);
      await page.keyboard.type('echo PID=$$\n');
      await until('the shell says its PID', async () => (await pids()).length === 1, 30_000);

      // Output the shell writes while the page is cut off.
      await page.keyboard.type('sleep 2; echo LATE-$((1+1))\n');
      proxy.cut();
      const cutAt = Date.now();
      await reconnecting(page).waitFor({ timeout: 30_000 });
      await screenshotThemes(page, 'browser-node-reconnecting');
      // The device's card says why it cannot be reached now.
      await nav(page, 'Peers').click();
      await waitForText(deviceCard(page), /unreachable/, 30_000);
      await screenshotThemes(page, 'browser-node-unreachable-device');
      await nav(page, 'Terminals').click();
      // Keys typed while it says it is reconnecting are kept and reach the same shell once, after.
      await page.keyboard.type('echo TYPED-$((2+3))\n');
      // A paste past the 64 KiB kept meanwhile is not sent, and the bar says so.
      await page.keyboard.insertText(`echo FLOOD-${'x'.repeat(70_000)}`);
      await waitForText(reconnecting(page), /keys past 64 KiB typed meanwhile were not sent/, 10_000);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshotThemes(page, 'browser-node-reconnecting-not-sent-phone');
      await page.setViewportSize({ width: 1280, height: 800 });
      await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)), 'the cut lasts 10 s, as the issue asks');
      assert.equal(await reconnecting(page).count(), 1, 'still cut off');
      proxy.restore();

      await terminalLive(page);
      await until(
        'what the shell wrote meanwhile arrives',
        async () => (await count(page, /LATE-2/g)) > 0,
        30_000,
      );
      await page.keyboard.type('echo PID=$$\n');
      await until('the shell says its PID again', async () => (await pids()).length === 2, 30_000);
      const [before, again] = await pids();
      assert.equal(again, before, 'the same shell');
      assert.equal(await count(page, /LATE-2/g), 1, 'output arrived once');
      assert.equal(await count(page, /TYPED-5/g), 1, 'keys typed while cut off ran once');
      assert.equal(await count(page, /FLOOD/g), 0, 'the paste past the bound never reached the shell');
      await screenshotThemes(page, 'browser-node-resumed');
      // The card is online again.
      await nav(page, 'Peers').click();
      await deviceOnline(page);
    } finally {
      await closeContexts(browser);
      proxy.close();
    }
  },
);

test(
  'peers rm of the browser on the device ends the page’s terminal within 5 s and it cannot open another',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, home } = await sharedRelayWithDevice();
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, pageUrl, { viewport: { width: 390, height: 844 } });
      await pairWithDevice(page, home);
      await openTerminal(page);
      await run(page, 'echo $((6*7))', /^42$/m);
      const peer = await until(
        'the device lists the browser online',
        async () =>
          (await agentCall(home, 'peers.list', {})).find((p: PeerInfo) => p.kind === 'browser' && p.online),
        30_000,
      );

      const removed = await cli(['peers', 'rm', peer.name, '--home', home]);
      assert.equal(removed.code, 0, removed.stderr);
      await waitForText(
        page.getByRole('tabpanel').getByRole('status'),
        /The session ended: .*removed/i,
        5_000,
      );
      await screenshotThemes(page, 'browser-node-removed');

      await nav(page, 'Peers').click();
      await waitForText(deviceCard(page), /removed this browser/, 30_000);
      await screenshotThemes(page, 'browser-node-removed-device');
      // Open terminal stays (and keeps the focus) but does nothing: the card already says why.
      const open = deviceCard(page).getByRole('button', { name: 'Open terminal' });
      assert.equal(
        await open.getAttribute('aria-disabled'),
        'true',
        'Open terminal on a device that refused',
      );
      // Pressed as a keyboard user would: it keeps the focus (aria-disabled), and does nothing.
      await open.focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('main', { name: 'Peers' }).count(), 1, 'still on Peers');
      await nav(page, 'Terminals').click();
      assert.equal(await screen(page).count(), 1, 'only the ended terminal');
      assert.equal(await count(page, /^42$/gm), 1, 'the shown tab is the ended one: no new one opened');
    } finally {
      await closeContexts(browser);
    }
  },
);

test(
  'the page says when the relay cannot be reached and when a code is wrong or expired',
  { skip: missing ?? false },
  async () => {
    const { relay, home } = await sharedRelayWithDevice();
    const proxy = await CuttableProxy.start(relay.port);
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, proxy.url, { viewport: { width: 390, height: 844 } });
      await shownFingerprint(page);
      const code = await agentCall(home, 'pair.new', {});
      proxy.cut();
      await enterCode(page, code.code);
      const error = page.locator('#join-error');
      await waitForText(error, /cannot reach the relay/, 30_000);
      await screenshotThemes(page, 'browser-node-unreachable');
      proxy.restore();

      await enterCode(page, 'K7QX-M2RT-9WZA');
      await waitForText(error, /code invalid or expired/, 30_000);
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no request reached the device');
    } finally {
      await closeContexts(browser);
      proxy.close();
    }
  },
);

test(
  'Cancel while the owner decides withdraws the request on the device: no late approval pairs',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, home } = await sharedRelayWithDevice();
    const browser = await sharedBrowser();
    try {
      const { page } = await openRelayPage(browser, pageUrl);
      const fingerprint = await shownFingerprint(page);
      const code = await agentCall(home, 'pair.new', {});
      await enterCode(page, code.code);
      await until(
        'the device holds the request',
        async () => (await agentCall(home, 'pending.list', {})).some((p) => p.fingerprint === fingerprint),
        30_000,
      );
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();
      await until(
        'the device withdrew the request',
        async () => (await agentCall(home, 'pending.list', {})).length === 0,
        30_000,
      );
      const approved = await cli(['approve', '--latest', '--home', home]);
      assert.notEqual(approved.code, 0, 'nothing left to approve');
      assert.equal(await deviceCard(page).count(), 0, 'the page paired with nothing');
    } finally {
      await closeContexts(browser);
    }
  },
);
