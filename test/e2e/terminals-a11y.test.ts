/**
 * The Terminals view for a keyboard and a screen reader, and at a phone's width: output a screen
 * reader can read (Screen reader support), a tab list that holds only tabs, a tab bar that scrolls
 * with long names, search that says what it found, shortcuts on screen, and where the focus goes when
 * a tab closes or the peer picker is dismissed. Two agents paired through the CLI; A's web UI in
 * Chromium with terminals on B.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  openUi,
  uiUrl,
  waitForScreen,
  type UiPage,
} from '../helpers/browser.js';
import { pairedAgents, startRelay, stopAll } from '../helpers/processes.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  const { homeA } = await pairedAgents(relay.url, ['e2e-ya', 'e2e-yb']);
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homeA));
  await card(A.page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
  await card(A.page, 'b').getByRole('button', { name: 'Open terminal' }).click();
  await A.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'with Screen reader support on, what the terminal prints is in the accessibility tree',
  { skip: skip ?? false },
  async () => {
    const panel = A.page.getByRole('tabpanel', { name: 'Terminal on b' });
    const toggle = A.page.getByRole('checkbox', { name: 'Screen reader support' });
    assert.equal(await toggle.isChecked(), false, 'off by default');
    // Until it is on, the terminal's input says where it is.
    const input = A.page.getByRole('textbox', { name: 'Terminal input' });
    const described = (await input.getAttribute('aria-describedby')) ?? '';
    const sentence = A.page.locator(`#${described.split(' ')[1]}`);
    assert.match((await sentence.textContent()) ?? '', /Screen reader support/);

    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('echo hello-a11y-$((6*7))\n');
    await waitForScreen(A.page, /^hello-a11y-42\s*$/m);
    assert.doesNotMatch(await panel.ariaSnapshot(), /hello-a11y-42/, 'off: the rows are hidden');

    await toggle.check();
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('echo again-a11y-$((6*7))\n');
    await waitForScreen(A.page, /^again-a11y-42\s*$/m);
    const deadline = Date.now() + 5_000;
    let tree = '';
    while (Date.now() < deadline) {
      tree = await panel.ariaSnapshot();
      if (/again-a11y-42/.test(tree)) break;
      await A.page.waitForTimeout(100);
    }
    assert.match(tree, /again-a11y-42/, 'on: the output is readable');
    assert.match(tree, /hello-a11y-42/, 'and so is what it printed before');
    assert.equal(await sentence.count(), 0, 'nothing more to say once on');
    // A choice of this device: a reload keeps it.
    await A.page.reload();
    await A.page.getByRole('tab').first().waitFor();
    assert.equal(await A.page.getByRole('checkbox', { name: 'Screen reader support' }).isChecked(), true);
    await A.page.getByRole('checkbox', { name: 'Screen reader support' }).uncheck();
    assert.deepEqual(A.errors, []);
  },
);
