/**
 * The window over its Electron-style bridge (`window.clawbridge`, api/ipc-transport.ts) instead of the
 * WebSocket: a stand-in preload, injected before the page's scripts, implements the bridge exactly as
 * ipc-transport.ts documents it — `{ok, result | error}` envelopes, events through `subscribe`, and one
 * MessagePort per terminal posted to the window with the page's streamId — on top of the agent's web
 * UI sockets. So the page's IPC path (requests, events, terminal frames over a MessagePort) runs for
 * real in Chromium. The app's own preload (src-main/electron/preload.cts) and main's side run in Node with
 * Electron's IPC faked (test/unit/electron/ipc-api.test.ts, test/integration/api-contract-ipc.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  nav,
  screenshotThemes,
  uiUrl,
  toast,
  waitForScreen,
} from '../helpers/browser.js';
import { pairedAgents, startRelay, stopAll } from '../helpers/processes.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

/** The stand-in preload: page script, so a string (it runs in the browser, not under tsc). */
const BRIDGE = `(token) => {
  const base = 'ws://' + location.host;
  const calls = { request: 0, subscribe: 0, openStream: 0 };
  let api, ready, nextId = 1;
  const waiting = new Map();
  const listeners = new Set();
  const connect = () => {
    api = new WebSocket(base + '/api');
    ready = new Promise((resolve) => {
      api.onopen = () => api.send(JSON.stringify({ type: 'auth', token }));
      api.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.type === 'ready') { api.send(JSON.stringify({ type: 'subscribe' })); resolve(); }
        else if (m.type === 'response') {
          const w = waiting.get(m.id); waiting.delete(m.id);
          if (w) w(m.ok ? { ok: true, result: m.result } : { ok: false, error: m.error });
        } else if (m.type === 'event') for (const l of listeners) l(m.event, m.data);
      };
    });
  };
  connect();
  window.__bridgeCalls = calls;
  // What main's \`app.host\` event would say about the agent it hosts (the test plays main).
  window.__hostEvent = (data) => { for (const l of listeners) l('app.host', data); };
  window.clawbridge = {
    async request(method, params) {
      calls.request++;
      await ready;
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        api.send(JSON.stringify({ type: 'request', id, method, params }));
      });
    },
    subscribe(listener) {
      calls.subscribe++;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    openStream(method, params, streamId) {
      calls.openStream++;
      return new Promise((resolve) => {
        const ws = new WebSocket(base + '/api/stream');
        ws.binaryType = 'arraybuffer';
        let port = null;
        ws.onopen = () => {
          ws.send(JSON.stringify({ type: 'auth', token }));
          ws.send(JSON.stringify({ type: 'open', method, params }));
        };
        ws.onmessage = (e) => {
          if (port) { port.postMessage(e.data, [e.data]); return; }
          const m = JSON.parse(e.data);
          if (m.type === 'error') { resolve({ ok: false, error: m.error }); return; }
          const channel = new MessageChannel();
          port = channel.port2;
          port.onmessage = (p) => {
            if (p.data === null) ws.close(1000);
            else ws.send(p.data);
          };
          ws.onclose = () => { if (port) port.postMessage(null); };
          window.postMessage({ type: 'clawbridge:stream', streamId }, '*', [channel.port1]);
          resolve({ ok: true, result: m.result });
        };
      });
    },
  };
}`;

let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let home = '';
const errors: string[] = [];

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  const { homeA } = await pairedAgents(relay.url, ['e2e-ia', 'e2e-ib']);
  home = homeA;

  const url = new URL(await uiUrl(homeA));
  const token = /token=([0-9a-f]+)/.exec(url.hash)![1]!;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(`(${BRIDGE})(${JSON.stringify(token)})`);
  page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  // No token in the address: only the bridge can reach the agent.
  await page.goto(`${url.origin}/`);
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'through the bridge: peers and their live state, then a terminal over a MessagePort',
  { skip: skip ?? false },
  async () => {
    await card(page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
    await card(page, 'b').getByRole('button', { name: 'Open terminal' }).click();
    await page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
    await page.locator('.terminal-pane .xterm').click();
    await page.keyboard.type('echo bridge-$((6*7))\n');
    await waitForScreen(page, /^bridge-42\s*$/m);
    const calls = await page.evaluate<Record<string, number>>('window.__bridgeCalls');
    assert.ok(calls.request! > 0 && calls.subscribe === 1 && calls.openStream === 1, JSON.stringify(calls));
    assert.deepEqual(errors, []);
  },
);

test(
  'in the desktop app (over the bridge) the Desktop notifications switch saves to the agent',
  { skip: skip ?? false },
  async () => {
    const config = () =>
      (JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { notifications?: boolean })
        .notifications;
    await nav(page, 'Settings').click();
    const toggle = page.getByRole('switch', { name: /Desktop notifications/ });
    assert.equal(await toggle.isChecked(), true, 'on by default');
    await toggle.click();
    await toast(page, 'Desktop notifications saved').waitFor();
    assert.equal(config(), false);
    await toggle.click();
    // Checked again once the agent answered (the switch shows what the agent saved).
    await page.getByRole('switch', { name: /Desktop notifications/, checked: true }).waitFor();
    assert.equal(config(), true);
    assert.deepEqual(errors, []);
  },
);

test(
  'in the desktop app the Notify on new messages switch is its own: off, the other stays on',
  { skip: skip ?? false },
  async () => {
    const config = () =>
      JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
        notifications?: boolean;
        messageNotifications?: boolean;
      };
    await nav(page, 'Settings').click();
    const toggle = page.getByRole('switch', { name: 'Notify on new messages' });
    assert.equal(await toggle.isChecked(), true, 'on by default');
    await screenshotThemes(page, 'desktop-settings-notifications');
    await toggle.click();
    await toast(page, 'Notify on new messages saved').waitFor();
    assert.equal(config().messageNotifications, false);
    assert.notEqual(config().notifications, false, 'Desktop notifications untouched');
    assert.equal(await page.getByRole('switch', { name: /Desktop notifications/ }).isChecked(), true);
    await toggle.click();
    await page.getByRole('switch', { name: 'Notify on new messages', checked: true }).waitFor();
    assert.equal(config().messageNotifications, true);
    assert.deepEqual(errors, []);
  },
);

test(
  'an agent the desktop app stopped on a bad config.json: the window says why and to use Start agent, not "retrying"',
  { skip: skip ?? false },
  async () => {
    const reason = 'settings in /home/u/.config/Clawbridge/config.json are invalid (name: expected string)';
    await page.evaluate(
      `window.__hostEvent(${JSON.stringify({ kind: 'stopped', failure: { code: 'CONFIG_INVALID', reason } })})`,
    );
    const alert = page.getByRole('alert').filter({ hasText: 'The Clawbridge agent is not running' });
    await alert.waitFor();
    assert.match(
      (await alert.textContent()) ?? '',
      /config\.json are invalid .*Start agent in the tray menu/,
    );
    assert.equal(await page.getByText('retrying').count(), 0);
    await screenshotThemes(page, 'desktop-agent-stopped');
    await page.evaluate(`window.__hostEvent(${JSON.stringify({ kind: 'running' })})`);
    await alert.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  },
);
