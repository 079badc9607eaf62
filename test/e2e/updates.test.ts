/**
 * Settings → Updates and the "restart to update" notice in Chromium, against a real agent's web UI.
 * The updater is main's (src-main/electron/updates-ipc.ts), so a stand-in of `window.clawbridge.updates`
 * plays main, injected before the page's scripts: it answers as updates-ipc.ts does, pushes `app.update`
 * through `subscribe`, and records what the page asked. Main's side is tested in Node
 * (test/unit/electron/update-feed.test.ts, updates-ipc.test.ts). Screenshots: light and dark.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  browserMissing,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  type UiPage,
} from '../helpers/browser.js';
import { desktopWindow } from '../helpers/desktop-stand-in.js';
import { stopAll, tempHome, startAgent } from '../helpers/processes.js';
import type { UpdateStatus } from '../../src-main/electron/update-policy.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

/** Main's updater (page script, so a string): answers as updates-ipc.ts does, pushes `app.update`, records what was asked. */
const UPDATER = `(initial, emit) => {
  let status = initial;
  const asked = [];
  const push = () => emit('app.update', status);
  window.__updates = {
    asked,
    busy: { terminals: 0, transfers: 0 },
    push(next) { status = next; push(); },
  };
  const ok = (result) => Promise.resolve({ ok: true, result });
  return {
    key: 'updates',
    value: {
      status: () => ok(status),
      choose(choice) {
        asked.push(['choose', choice]);
        status = { ...status, choice, state: choice.mode === 'off' ? { phase: 'off' } : { phase: 'idle' } };
        push();
        return ok(status);
      },
      check() { asked.push(['check']); return ok(status); },
      download() { asked.push(['download']); return ok(status); },
      restart(confirmed) {
        asked.push(['restart', confirmed]);
        const { terminals, transfers } = window.__updates.busy;
        if (!confirmed && terminals + transfers > 0)
          return ok({
            now: false,
            why: '1 terminal is running: it pauses for the restart and carries on after it; 1 shell is open here from other devices: it ends with the restart',
          });
        return ok({ now: true });
      },
    },
  };
}`;

const STATUS: UpdateStatus = {
  current: '1.0.0',
  choice: { mode: 'automatic', channel: 'stable' },
  managed: null,
  feed: null,
  state: { phase: 'up-to-date' },
  last: { at: Date.UTC(2026, 0, 5, 9, 30), outcome: 'up-to-date' },
};

let browser: Browser | undefined;
let home = '';
let url = '';

before(async () => {
  if (skip) return;
  home = tempHome('e2e-updates');
  await startAgent(home, { name: 'desk', listen: '127.0.0.1:0', ui: true });
  url = await uiUrl(home);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

const updatesWindow = (status: UpdateStatus = STATUS): Promise<UiPage> =>
  desktopWindow(browser!, url, UPDATER, status);

const asked = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __updates: { asked: unknown[] } }).__updates.asked);
const push = (page: Page, status: UpdateStatus) =>
  page.evaluate(
    (s) => (globalThis as unknown as { __updates: { push(s: unknown): void } }).__updates.push(s),
    status,
  );

test(
  'Settings → Updates: the version, the last check, the choice kept by main, and Off takes Check now away',
  { skip: skip ?? false },
  async () => {
    const { page, errors, context } = await updatesWindow();
    try {
      await nav(page, 'Settings').click();
      const updates = page.getByRole('region', { name: 'Updates' });
      await updates.getByText('This is Clawbridge 1.0.0.').waitFor();
      await updates.getByText('It is up to date.').waitFor();
      await updates.getByText(/^Last checked .*: up to date\.$/).waitFor();
      await updates.scrollIntoViewIfNeeded();
      await screenshotThemes(page, 'settings-updates');

      await updates.getByRole('radio', { name: 'Notify only — say a new version exists' }).check();
      await updates.getByRole('radio', { name: 'Beta (pre-releases too)' }).check();
      await updates.getByRole('button', { name: 'Check now' }).click();
      await updates.getByRole('radio', { name: 'Off — never ask the update feed' }).check();
      await updates.getByText('Updates are off: Clawbridge makes no request to the update feed.').waitFor();
      assert.equal(
        await updates.getByRole('button', { name: 'Check now' }).getAttribute('aria-disabled'),
        'true',
      );
      await updates.getByRole('button', { name: 'Check now' }).click({ force: true });
      assert.deepEqual(await asked(page), [
        ['choose', { mode: 'notify', channel: 'stable' }],
        ['choose', { mode: 'notify', channel: 'beta' }],
        ['check'],
        ['choose', { mode: 'off', channel: 'beta' }],
      ]);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);

test(
  'the restart-to-update notice: release notes, nothing restarts while a terminal runs unless the user says so',
  { skip: skip ?? false },
  async () => {
    const { page, errors, context } = await updatesWindow();
    try {
      await page.getByRole('heading', { name: 'Peers' }).waitFor();
      await page.evaluate(() => {
        (globalThis as unknown as { __updates: { busy: { terminals: number } } }).__updates.busy.terminals =
          1;
      });
      await push(page, {
        ...STATUS,
        state: {
          phase: 'ready',
          version: '1.1.0',
          notes: 'Faster file transfers.\nA fix for the tray on Windows.',
        },
      });
      const notice = page.getByRole('complementary', { name: 'Update ready' });
      await notice.getByText('Update ready — restart to update (v1.1.0)').waitFor();
      await notice.getByText('What is new').click();
      await notice.getByText(/Faster file transfers\./).waitFor();
      await screenshotThemes(page, 'update-ready-notice');

      await notice.getByRole('button', { name: 'Restart to update' }).click();
      await notice
        .getByRole('alert')
        .getByText(
          '1 terminal is running: it pauses for the restart and carries on after it; 1 shell is open here from other devices: it ends with the restart.',
        )
        .waitFor();
      await screenshotThemes(page, 'update-restart-asks');
      await notice.getByRole('button', { name: 'Restart anyway' }).click();
      assert.deepEqual(await asked(page), [
        ['restart', false],
        ['restart', true],
      ]);

      // A feed that lied: the refusal shows in Settings, and no restart is offered.
      await push(page, {
        ...STATUS,
        state: {
          phase: 'failed',
          kind: 'checksum',
          message:
            'the downloaded update does not match the SHA-512 its feed gives, so it was refused and nothing was installed (sha512 checksum mismatch)',
        },
      });
      assert.equal(await notice.count(), 0);
      await nav(page, 'Settings').click();
      await page
        .getByRole('region', { name: 'Updates' })
        .getByText(/The last attempt failed: the downloaded update does not match the SHA-512/)
        .waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  },
);

test(
  'a browser tab on the web UI has no updater: no Updates section, no notice',
  { skip: skip ?? false },
  async () => {
    const tab = await openUi(browser!, url);
    try {
      await nav(tab.page, 'Settings').click();
      await tab.page.getByRole('region', { name: 'This device' }).waitFor();
      assert.equal(await tab.page.getByRole('heading', { name: 'Updates' }).count(), 0);
      assert.deepEqual(tab.errors, []);
    } finally {
      await tab.context.close();
    }
  },
);
