/**
 * Window links end to end (docs/desktop-app.md, "Links into the window"): one agent as a real process
 * on loopback, its web UI in Chromium. A page loaded at an app link opens on that view — what the
 * desktop app does when it creates its window for a tray item, a notification or a clawbridge:// link
 * — and a link set while the page is open moves it. Settings in a browser tab: no switch for the
 * desktop app's notifications (ipc-bridge.test.ts has it), and the terminal resume window in seconds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  becomesFocused,
  focused,
  card,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForScreen,
  toast,
  waitForText,
  type UiPage,
} from '../helpers/browser.js';
import {
  cliJson,
  pairedAgents,
  startRelay,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
} from '../helpers/processes.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let home = '';
let browser: Browser | undefined;
let A: UiPage;
let origin = '';
let relayUrl = '';

before(async () => {
  if (skip) return;
  home = tempHome('e2e-nav');
  // A relay to meet joiners at: without one (or LAN discovery) the agent makes no code.
  const relay = await startRelay();
  relayUrl = relay.url;
  await startAgent(home, { name: 'a', relay: relay.url, listen: '127.0.0.1:0', ui: true });
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(home));
  await A.page.getByRole('heading', { name: 'Peers' }).waitFor();
  origin = new URL(A.page.url()).origin;
});

after(async () => {
  await browser?.close();
  await stopAll();
});

/** Loads the page afresh at `#link` (the token stays in this tab's sessionStorage). */
async function load(link: string): Promise<void> {
  await A.page.goto(`${origin}/?load=${Date.now()}#${link}`);
}

const heading = (name: string) => A.page.getByRole('heading', { name, level: 1 });

test(
  'a page loaded at an app link opens on that view, and the fragment is consumed',
  { skip: skip ?? false },
  async () => {
    await load('approvals?request=nobody');
    await heading('Approvals').waitFor();
    assert.equal(await nav(A.page, 'Approvals').getAttribute('aria-current'), 'page');
    // What the link was for is consumed; the address keeps only the view (a reload comes back to it).
    assert.equal(new URL(A.page.url()).hash, '#approvals');

    await load('settings');
    await heading('Settings').waitFor();

    await load('forwards');
    await heading('Forwards').waitFor();
  },
);

test('#pair/new shows a fresh code with a clawbridge://join invite', { skip: skip ?? false }, async () => {
  await load('pair/new');
  const code = A.page.getByLabel('Pairing code', { exact: true });
  await code.waitFor({ timeout: 5000 }).catch(async (err: unknown) => {
    throw new Error(`no code; the page says: ${await A.page.locator('main').innerText()}`, { cause: err });
  });
  assert.match((await code.textContent())!.trim(), /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const invite = (await A.page.locator('.invite-link').textContent())!.trim();
  assert.match(invite, /^clawbridge:\/\/join\?invite=[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
});

test(
  'Pair new device fits a small window: the page does not scroll, the QR code stays in its panel',
  { skip: skip ?? false },
  async () => {
    await load('pair/new');
    const panel = A.page.getByRole('region', { name: 'Pair new device' });
    const qr = A.page.getByRole('img', { name: 'Invite link as a QR code' });
    await qr.waitFor({ timeout: 5000 });
    try {
      for (const width of [480, 320]) {
        await A.page.setViewportSize({ width, height: 640 });
        // Only the view scrolls: the window (sidebar included) stays put, nothing below its edge.
        const page = await A.page.evaluate('[document.documentElement.scrollHeight, innerHeight]');
        assert.deepEqual(page, [640, 640], `the page is as tall as the ${width}×640 window`);
        await qr.scrollIntoViewIfNeeded();
        const q = (await qr.boundingBox())!;
        const p = (await panel.boundingBox())!;
        assert.ok(q.width >= 100, `the QR code keeps a usable size at ${width} px (${q.width} px)`);
        assert.ok(
          q.x >= p.x - 0.5 && q.x + q.width <= p.x + p.width + 0.5,
          `the QR code (${q.x}+${q.width}) within its panel (${p.x}+${p.width}) at ${width} px`,
        );
        assert.ok(Math.abs(q.width - q.height) < 1, 'still square, quiet zone and all');
        await screenshotThemes(A.page, `pair-new-${width}x640`);
      }
    } finally {
      await A.page.setViewportSize({ width: 1280, height: 800 });
    }
  },
);

test(
  '#join?invite=… opens Join with the invite filled in, at load and while open',
  { skip: skip ?? false },
  async () => {
    const invite = 'clawbridge://join?invite=K7QX-M2RT-9WZA&relay=ws%3A%2F%2F127.0.0.1%3A9';
    await load(`join?invite=${encodeURIComponent(invite)}`);
    const field = A.page.getByLabel('Code', { exact: true });
    assert.equal(await field.inputValue(), invite);

    await nav(A.page, 'Peers').click();
    await A.page.evaluate(`location.hash = 'join?invite=' + encodeURIComponent('AAAA-BBBB-CCCC')`);
    assert.equal(await field.inputValue(), 'AAAA-BBBB-CCCC');
    // The invite is consumed: the address names only the view.
    assert.equal(new URL(A.page.url()).hash, '#pair');
  },
);

test(
  'a browser tab offers no Desktop notifications switch: only the desktop app shows them',
  { skip: skip ?? false },
  async () => {
    await load('settings');
    await A.page.getByRole('region', { name: 'Behaviour' }).scrollIntoViewIfNeeded();
    assert.equal(await A.page.getByRole('switch', { name: /Desktop notifications/ }).count(), 0);
    assert.equal(await A.page.getByText(/notifications/i).count(), 0, 'nor a word about them');
    await screenshotThemes(A.page, 'settings-web-behaviour');
  },
);

test(
  'the terminal resume window: an error in seconds beside the field, gone after a valid save',
  { skip: skip ?? false },
  async () => {
    await load('settings');
    const field = A.page.getByLabel('Terminal resume window (seconds)');
    const section = A.page.getByRole('region', { name: 'Behaviour' });
    const save = section.getByRole('button', { name: 'Save' });
    await field.fill('99999999');
    await save.click();
    const alert = section.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'Must be from 1 to 86400 seconds (24 h), got 99999999');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    await screenshotThemes(A.page, 'settings-resume-error');

    // A fraction of a second is a valid number of seconds: the browser does not refuse it either.
    await field.fill('120.5');
    await save.click();
    await toast(A.page, 'Terminal resume window saved').waitFor();
    assert.equal(await alert.count(), 0, 'the old error is gone');
    assert.equal(await field.getAttribute('aria-invalid'), 'false');
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
      terminalResumeMs?: number;
    };
    assert.equal(config.terminalResumeMs, 120_500);
    assert.deepEqual(A.errors, []);
  },
);

test(
  'the direct listener: Save only once something changed; an equal address says it is unchanged',
  { skip: skip ?? false },
  async () => {
    await load('settings');
    const section = A.page.getByRole('region', { name: 'Connections' });
    const address = section.getByLabel('Direct listener address');
    const accept = section.getByLabel('Accept direct connections from peers');
    const save = section.getByRole('button', { name: 'Save direct listener' });
    const saved = await address.inputValue();
    assert.equal(await save.isDisabled(), true, 'nothing to save yet');
    await address.fill('127.0.0.1:7999');
    assert.equal(await save.isDisabled(), false);
    await address.fill(saved);
    assert.equal(await save.isDisabled(), true, 'back to what is saved');
    await accept.uncheck();
    assert.equal(await save.isDisabled(), false);
    await accept.check();
    assert.equal(await save.isDisabled(), true);

    // The same address written otherwise: the agent keeps what it had, and the window says so.
    await address.fill(saved.replace(/:(\d+)$/, ':0$1'));
    await save.click();
    await toast(A.page, 'Direct listener unchanged').waitFor();
    assert.equal(await A.page.getByText(/Direct listener saved/).count(), 0);

    await address.fill('127.0.0.1:7999');
    await save.click();
    await toast(A.page, 'Direct listener saved — takes effect when the agent restarts').waitFor();
    // A later save of something the agent applies at once is news of its own, not of the one waiting.
    const device = A.page.getByRole('region', { name: 'This device' });
    const before = await device.getByLabel('Name').inputValue();
    await device.getByLabel('Name').fill(`${before}-x`);
    await device.getByRole('button', { name: 'Save name' }).click();
    await toast(A.page, 'Name saved').waitFor();
    assert.equal(await A.page.getByText('Name saved — takes effect when the agent restarts').count(), 0);
    await device.getByLabel('Name').fill(before);
    await device.getByRole('button', { name: 'Save name' }).click();
    await device.getByRole('button', { name: 'Save name', disabled: true }).waitFor();
    // Saved: nothing left to save.
    const saveOff = section.getByRole('button', { name: 'Save direct listener', disabled: true });
    await saveOff.waitFor();
    await address.fill(saved);
    await save.click();
    await saveOff.waitFor();
    assert.deepEqual(A.errors, []);
  },
);

test(
  'buttons that wait for the agent keep the keyboard focus (Save name, Save), and a failed join returns it to the code',
  { skip: skip ?? false },
  async () => {
    await load('settings');
    const name = A.page.getByLabel('Name', { exact: true });
    const saveName = A.page.getByRole('button', { name: 'Save name' });
    assert.equal(await saveName.getAttribute('aria-disabled'), 'true', 'nothing to save yet');
    await name.fill('a2');
    await name.press('Tab');
    assert.ok(await focused(saveName), 'await focused(saveName)');
    await A.page.keyboard.press('Enter');
    await A.page.getByText('Name saved').first().waitFor();
    assert.ok(await focused(saveName), 'Save name keeps the focus, while busy and once saved');
    assert.equal(await saveName.getAttribute('aria-disabled'), 'true', 'saved: nothing left to save');
    await waitForText(A.page.locator('.brand'), /\na2$/);
    await name.fill('a');
    await name.press('Enter');
    await waitForText(A.page.locator('.brand'), /\na$/);

    const resume = A.page.getByLabel('Terminal resume window (seconds)');
    const save = A.page.getByRole('region', { name: 'Behaviour' }).getByRole('button', { name: 'Save' });
    await resume.fill('60');
    await save.focus();
    await A.page.keyboard.press('Enter');
    await A.page.getByText('Terminal resume window saved').first().waitFor();
    assert.ok(await focused(save), 'the resume window’s Save keeps the focus');
    await screenshotThemes(A.page, 'settings-save-focus');

    await load('pair/join');
    const code = A.page.getByLabel('Code', { exact: true });
    await code.fill('not a code');
    await code.press('Enter');
    await A.page.locator('#join-error').getByText(/./).first().waitFor({ timeout: 20_000 });
    assert.ok(await becomesFocused(code), 'after a failed join the focus is back on the code');
    await screenshotThemes(A.page, 'join-failed-focus');
    assert.deepEqual(A.errors, []);
  },
);

test(
  "#terminals?open=<peer>&name=… opens a new terminal tab to that peer (the tray's Open terminal)",
  { skip: skip ?? false },
  async () => {
    const { homeA, homeB } = await pairedAgents(relayUrl, ['e2e-nav-ta', 'e2e-nav-tb']);
    const idB = (await nodeId(homeB)).fingerprint;
    const T = await openUi(browser!, await uiUrl(homeA));
    await card(T.page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
    const at = new URL(T.page.url()).origin;
    await T.page.goto(`${at}/?load=terminal#terminals?open=${idB}&name=b`);
    await T.page.getByRole('tab').first().waitFor();
    assert.equal(await T.page.getByRole('tab').count(), 1);
    assert.match((await T.page.getByRole('tab').first().textContent()) ?? '', /^b/, 'named after the peer');
    await T.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
    await T.page.locator('.terminal-pane .xterm').click();
    await T.page.keyboard.type('echo $((6 * 7))\n');
    await waitForScreen(T.page, /^42\s*$/m);
    // Followed once: a reload re-attaches the tab it opened and opens no second one.
    await T.page.reload();
    await T.page.getByRole('tab').first().waitFor();
    assert.equal(await T.page.getByRole('tab').count(), 1);
    assert.deepEqual(T.errors, []);
    await T.context.close();
  },
);

test(
  'a new `clawbridge ui` link opened in the tab already on the UI connects with its token, which leaves the address bar',
  { skip: skip ?? false },
  async () => {
    // The tab is on the UI (its address holds no token any more); a new token closes its connection.
    await A.page.goto(`${origin}/#peers`);
    await heading('Peers').waitFor();
    assert.equal(A.page.url(), `${origin}/#peers`);
    const fresh = (await cliJson<{ url: string }>(['ui', '--no-open', '--new-token', '--home', home])).url;
    await A.page.getByText(/This page is not connected to an agent/).waitFor({ timeout: 10_000 });
    // The new link differs from the page's address only in its fragment: no load, only a hashchange.
    assert.equal(new URL(fresh).origin + new URL(fresh).pathname, `${origin}/`);
    await A.page.goto(fresh);
    await A.page
      .getByText(/This page is not connected to an agent/)
      .waitFor({ state: 'detached', timeout: 10_000 });
    await A.page.getByRole('heading', { name: 'Peers' }).waitFor();
    await A.page.getByText(/No peers yet/).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(A.page.url(), /token/);
    // And it stays connected: the agent answers (the settings view reads the agent's name).
    await load('settings');
    await heading('Settings').waitFor();
    assert.equal(await A.page.getByText(/This page is not connected/).count(), 0);
  },
);
