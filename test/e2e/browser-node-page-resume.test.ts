/**
 * The relay's page in Chromium when the network fails it or the device drops it (ADR 0094). A TCP proxy on
 * loopback stands between Chromium and the relay: cut for 10 s (every connection dropped, every new one
 * refused), the page's terminal resumes on the same shell (`echo $$` gives the same PID), the output the
 * shell wrote meanwhile arrives once and what was typed meanwhile reaches the shell once. And when the
 * device's owner runs `clawbridge peers rm` on the browser, the page's terminal ends within 5 s, the page
 * says so, and opening another is refused. The page also says plainly when the relay cannot be reached
 * and when a code is wrong or expired.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { PairNewResult, PeerInfo } from '../../src-main/api/contract.js';
import { browserMissing, launchBrowser, screenshotThemes, waitForText } from '../helpers/browser.js';
import {
  agentCall,
  cli,
  cliJson,
  startRelay,
  startRelayAgent,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(stopAll);

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

/** Pairs the page with the device behind the relay and opens a terminal on it. */
async function pairAndOpen(page: Page, home: string): Promise<void> {
  const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);
  await page.getByLabel('Pairing code').fill(code.code);
  await page.getByRole('button', { name: 'Join' }).click();
  await until(
    'the page waits for approval on the node',
    async () => (await cli(['approve', '--latest', '--home', home])).code === 0,
    30_000,
  );
  await waitForText(page.getByRole('status'), /Paired with office/, 30_000);
  await page.getByRole('button', { name: 'Open terminal' }).click();
  await waitForText(page.getByRole('status'), /Terminal on office/, 30_000);
}

const screenText = (page: Page) => page.locator('.xterm-rows').innerText();
const count = async (page: Page, re: RegExp) => ((await screenText(page)).match(re) ?? []).length;

test(
  'cut from the relay for 10 s, the page’s terminal resumes on the same shell, losing and doubling nothing',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const proxy = await CuttableProxy.start(relay.port);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(proxy.url);
      await pairAndOpen(page, home);
      const pids = async () => [...(await screenText(page)).matchAll(/^PID=(\d+)$/gm)].map((m) => m[1]);
      await page.keyboard.type('echo PID=$$\n');
      await until('the shell says its PID', async () => (await pids()).length === 1, 30_000);

      // Output the shell writes while the page is cut off, and input typed meanwhile.
      await page.keyboard.type('sleep 2; echo LATE-$((1+1))\n');
      proxy.cut();
      await waitForText(page.getByRole('status'), /Reconnecting to office/, 30_000);
      await page.keyboard.type('echo TYPED-$((2+3))\n');
      await sleep(10_000, 'the cut lasts 10 s, as the issue asks');
      assert.match(await page.getByRole('status').innerText(), /Reconnecting to office/, 'still cut off');
      proxy.restore();

      await waitForText(page.getByRole('status'), /Terminal on office \(resumed\)/, 30_000);
      await until(
        'what the shell wrote meanwhile arrives',
        async () => (await count(page, /^LATE-2$/gm)) > 0,
        30_000,
      );
      await until(
        'what was typed meanwhile reaches the shell',
        async () => (await count(page, /^TYPED-5$/gm)) > 0,
        30_000,
      );
      await page.keyboard.type('echo PID=$$\n');
      await until('the shell says its PID again', async () => (await pids()).length === 2, 30_000);
      const [before, again] = await pids();
      assert.equal(again, before, 'the same shell');
      assert.equal(await count(page, /^LATE-2$/gm), 1, 'output arrived once');
      assert.equal(await count(page, /^TYPED-5$/gm), 1, 'input reached the shell once');
      await screenshotThemes(page, 'browser-node-resumed');
    } finally {
      await browser.close();
      proxy.close();
    }
  },
);

test(
  'peers rm of the browser on the device ends the page’s terminal within 5 s and it cannot open another',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m);
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      await page.goto(printed[1]!);
      await pairAndOpen(page, home);
      await page.keyboard.type('echo $((6*7))\n');
      await waitForText(page.locator('.xterm-rows'), /^42$/m, 30_000);
      const peer = await until(
        'the device lists the browser online',
        async () =>
          (await agentCall(home, 'peers.list', {})).find((p: PeerInfo) => p.kind === 'browser' && p.online),
        30_000,
      );

      const removed = await cli(['peers', 'rm', peer.name, '--home', home]);
      assert.equal(removed.code, 0, removed.stderr);
      await waitForText(page.getByRole('status'), /Terminal ended: .*removed/i, 5_000);
      await screenshotThemes(page, 'browser-node-removed');

      await page.getByRole('button', { name: 'Open terminal' }).click();
      await waitForText(page.getByRole('status'), /removed/i, 30_000);
      assert.doesNotMatch(await page.getByRole('status').innerText(), /Terminal on office/);
      assert.equal(await page.locator('.xterm-rows').count(), 0, 'no terminal opened');
    } finally {
      await browser.close();
    }
  },
);

test(
  'the page says when the relay cannot be reached and when a code is wrong or expired',
  { skip: missing ?? false },
  async () => {
    const relay = await startRelay();
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const proxy = await CuttableProxy.start(relay.port);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      await page.goto(proxy.url);
      const status = page.getByRole('status');
      await waitForText(page.getByRole('region', { name: 'This browser' }), /([0-9a-f]{4} ){15}/);
      const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);
      proxy.cut();
      await page.getByLabel('Pairing code').fill(code.code);
      await page.getByRole('button', { name: 'Join' }).click();
      await waitForText(status, /cannot reach the relay/, 30_000);
      await screenshotThemes(page, 'browser-node-unreachable');
      proxy.restore();

      await page.getByLabel('Pairing code').fill('K7QX-M2RT-9WZA');
      await page.getByRole('button', { name: 'Join' }).click();
      await waitForText(status, /code invalid or expired/, 30_000);
      assert.equal((await agentCall(home, 'pending.list', {})).length, 0, 'no request reached the device');
    } finally {
      await browser.close();
      proxy.close();
    }
  },
);
