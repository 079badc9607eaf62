/**
 * Settings → Background, "Keep running after Quit (install as a service)", in Chromium against a real
 * agent's web UI. The install is main's (src-main/electron/service-desktop.ts, service-ipc.ts), so a
 * stand-in of `window.clawbridge.service` plays main, injected before the page's scripts: it answers as
 * service-ipc.ts does and records what the page asked. Main's side is tested in Node
 * (test/unit/electron/service-desktop.test.ts). Screenshots: light and dark.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  browserMissing,
  launchBrowser,
  nav,
  screenshotThemes,
  uiUrl,
  type UiPage,
} from '../helpers/browser.js';
import { stopAll, tempHome, startAgent } from '../helpers/processes.js';
import type { DesktopServiceStatus } from '../../src-main/electron/service-status.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

/** The preload as the page sees it (page script, so a string): the API over the web UI socket, and main's service switch. */
const STAND_IN = `(initial, token) => {
  let status = initial;
  const listeners = new Set();
  const api = new WebSocket('ws://' + location.host + '/api');
  const waiting = new Map();
  let nextId = 1;
  const ready = new Promise((resolve) => {
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
  const asked = [];
  window.__service = { asked };
  const ok = (result) => Promise.resolve({ ok: true, result });
  window.clawbridge = {
    async request(method, params) {
      await ready;
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        api.send(JSON.stringify({ type: 'request', id, method, params }));
      });
    },
    openStream: () => Promise.resolve({ ok: false, error: { code: 'BAD_ARGUMENT', message: 'no terminals here' } }),
    subscribe(l) { listeners.add(l); return () => listeners.delete(l); },
    service: {
      status: () => ok(status),
      set(on) {
        asked.push(on);
        status = on
          ? { installed: { name: 'clawbridge-agent-3f2a9c1b', log: 'journalctl --user -u clawbridge-agent-3f2a9c1b.service' }, blocked: null }
          : { installed: null, blocked: null };
        return ok(status);
      },
    },
  };
}`;

const OFF: DesktopServiceStatus = { installed: null, blocked: null };

let browser: Browser | undefined;
let url = '';
let token = '';

before(async () => {
  if (skip) return;
  const home = tempHome('e2e-service');
  await startAgent(home, { name: 'desk', listen: '127.0.0.1:0', ui: true });
  url = await uiUrl(home);
  token = /token=([0-9a-f]+)/.exec(new URL(url).hash)![1]!;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

async function desktopWindow(status: DesktopServiceStatus): Promise<UiPage> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(`(${STAND_IN})(${JSON.stringify(status)}, ${JSON.stringify(token)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.goto(`${new URL(url).origin}/`);
  return { context, page, errors };
}

const asked = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __service: { asked: boolean[] } }).__service.asked);

const SWITCH = 'Keep running after Quit (install as a service)';

test(
  'Settings → Background: the switch installs the service, then says which runs and where its log is, and removes it',
  { skip: skip ?? false },
  async () => {
    const { page, errors, context } = await desktopWindow(OFF);
    try {
      await nav(page, 'Settings').click();
      const section = page.getByRole('region', { name: 'Background' });
      const box = section.getByRole('checkbox', { name: SWITCH });
      await box.waitFor();
      assert.equal(await box.isChecked(), false, 'off: no service yet');
      await section.scrollIntoViewIfNeeded();
      await screenshotThemes(page, 'settings-service-off');

      await box.check();
      await section.getByText(/runs as the service clawbridge-agent-3f2a9c1b/).waitFor();
      assert.equal(await box.isChecked(), true, 'on once main installed it');
      await section.getByText(/Its log: journalctl --user -u clawbridge-agent-3f2a9c1b\.service\./).waitFor();
      await screenshotThemes(page, 'settings-service-on');

      await box.uncheck();
      await section.getByText(/The agent then runs as a service of this system/).waitFor();
      assert.deepEqual(await asked(page), [true, false], 'main was asked to install, then to uninstall');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);

test(
  'where a service cannot run this node the switch is off, unavailable, and says why',
  { skip: skip ?? false },
  async () => {
    const why =
      "This device's key is kept in the system keychain, which only the app can read: a service cannot run this node. Run a service for a node of its own (another --home) instead.";
    const { page, errors, context } = await desktopWindow({ installed: null, blocked: why });
    try {
      await nav(page, 'Settings').click();
      const section = page.getByRole('region', { name: 'Background' });
      const box = section.getByRole('checkbox', { name: SWITCH });
      await box.waitFor();
      assert.equal(await box.isDisabled(), true, 'not offered');
      assert.equal(await section.getByText(why).isVisible(), true, 'the reason is shown');
      await section.scrollIntoViewIfNeeded();
      await screenshotThemes(page, 'settings-service-blocked');
      assert.deepEqual(await asked(page), [], 'nothing asked of main');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);
