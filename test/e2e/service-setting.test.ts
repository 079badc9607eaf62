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
import { desktopWindow } from '../helpers/desktop-stand-in.js';
import { stopAll, tempHome, startAgent } from '../helpers/processes.js';
import type { DesktopServiceStatus } from '../../src-main/electron/service-status.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

/** Main's service switch (page script, so a string): answers as service-ipc.ts does, records what was asked. */
const SERVICE = `(initial) => {
  let status = initial;
  const asked = [];
  window.__service = { asked };
  const ok = (result) => Promise.resolve({ ok: true, result });
  return {
    key: 'service',
    value: {
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

before(async () => {
  if (skip) return;
  const home = tempHome('e2e-service');
  await startAgent(home, { name: 'desk', listen: '127.0.0.1:0', ui: true });
  url = await uiUrl(home);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

const serviceWindow = (status: DesktopServiceStatus): Promise<UiPage> =>
  desktopWindow(browser!, url, SERVICE, status);

const asked = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __service: { asked: boolean[] } }).__service.asked);

const SWITCH = 'Keep running after Quit (install as a service)';

test(
  'Settings → Background: the switch installs the service, then says which runs and where its log is, and removes it',
  { skip: skip ?? false },
  async () => {
    const { page, errors, context } = await serviceWindow(OFF);
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
    const { page, errors, context } = await serviceWindow({ installed: null, blocked: why });
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
