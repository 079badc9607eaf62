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
  assertWithin,
  becomesFocused,
  browserMissing,
  card,
  focused,
  launchBrowser,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForScreen,
  waitForText,
  type UiPage,
  laidOut,
} from '../helpers/browser.js';
import { pairedAgents, startRelay, stopAll, nodeId } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
let idB = '';

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  const { homeA, homeB } = await pairedAgents(relay.url, ['e2e-ya', 'e2e-yb']);
  idB = (await nodeId(homeB)).fingerprint;
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
    const tree = await until(
      'the output in the accessibility tree',
      async () => {
        const t = await panel.ariaSnapshot();
        return /again-a11y-42/.test(t) && t;
      },
      5_000,
    );
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

/** Opens a terminal tab on B named `name`, as the tray's Open terminal link does. */
async function openNamed(name: string): Promise<void> {
  const count = await A.page.getByRole('tab').count();
  const hash = `#terminals?open=${idB}&name=${encodeURIComponent(name)}`;
  await A.page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await A.page.getByRole('tab').nth(count).waitFor();
}

test(
  'at 390 px with four tabs, two with long names: the tab list holds only tabs, long names are cut on screen but whole in the tab’s name, and every ✕ comes into view by keyboard',
  { skip: skip ?? false },
  async () => {
    const long56 = 'c-very-long-machine-name-for-the-tab-bar-test'.padEnd(56, '0');
    const long64 = 'averyveryverylongmachinename'.padEnd(64, 'x');
    await openNamed(long56);
    await openNamed('e-laptop');
    await openNamed(long64);
    await A.page.getByText(/^Connecting to /).waitFor({ state: 'detached', timeout: 15_000 });
    await A.page.setViewportSize({ width: 390, height: 844 });
    await laidOut(A.page);

    // aria-required-children: nothing but tabs in the tab list.
    const roles = await A.page.evaluate<string[]>(
      `[...document.querySelector('[role="tablist"]').children].map((c) => c.getAttribute('role') ?? c.tagName)`,
    );
    assert.deepEqual(roles, ['tab', 'tab', 'tab', 'tab']);

    const tab = A.page.getByRole('tab', { name: long64 });
    const box = (await tab.boundingBox())!;
    assert.ok(box.height < 48, `one line high, not ${box.height} px`);
    assert.ok(await tab.locator('.badge').isVisible(), 'its badge shows');
    const label = tab.locator('.tab-label');
    assert.ok(
      await label.evaluate((el) => el.scrollWidth > el.clientWidth),
      'the long name is cut short on screen (with an ellipsis)',
    );
    await screenshotThemes(A.page, 'terminals-tabs-390');

    // From the selected tab (the last opened), Tab reaches its own ✕ — not the first tab's — and
    // only that one is a tab stop; arrows move to each other tab, whose ✕ is then next, in view.
    const main = A.page.getByRole('main');
    const order = [long64, 'b', long56, 'e-laptop'];
    for (const [i, name] of order.entries()) {
      const selected = A.page.getByRole('tab', { selected: true });
      await selected.focus();
      assert.match((await selected.textContent()) ?? '', new RegExp(`^${name.slice(0, 12)}`));
      await A.page.keyboard.press('Tab');
      const close = A.page.getByRole('button', { name: `Close terminal on ${name}`, exact: true });
      assert.ok(await focused(close), `Tab from the tab reaches its own “Close terminal on ${name}”`);
      await laidOut(A.page);
      await assertWithin(close, main, name);
      const b = (await close.boundingBox())!;
      assert.ok(b.x + b.width <= 390, `${name}'s ✕ is on screen`);
      await A.page.keyboard.press('Tab');
      assert.ok(
        !(await A.page.evaluate(`document.activeElement.classList.contains('tab-close')`)),
        'the other tabs’ ✕ are not tab stops',
      );
      if (i < order.length - 1) {
        await selected.focus();
        await A.page.keyboard.press('ArrowRight');
        await laidOut(A.page);
      }
    }
    // Arrows still move between the tabs, and the selected one comes into view.
    await A.page.getByRole('tab', { name: /^b/ }).click();
    await A.page.getByRole('tab', { name: /^b/ }).focus();
    await A.page.keyboard.press('ArrowLeft');
    assert.ok(await becomesFocused(tab), 'ArrowLeft from the first tab wraps to the last');
    const t = (await tab.boundingBox())!;
    assert.ok(t.x + t.width <= 390, `and it is scrolled into view: ${JSON.stringify(t)}`);
    const x = (await A.page.getByRole('button', { name: `Close terminal on ${long64}` }).boundingBox())!;
    assert.ok(x.x + x.width <= 390, `with its ✕: ${JSON.stringify(x)}`);
    await screenshotThemes(A.page, 'terminals-tabs-390-scrolled');
    // In forced colours the accent border is gone: the selected tab keeps a mark of its own.
    await A.page.emulateMedia({ forcedColors: 'active' });
    await A.page.locator('main').focus();
    const look = (selected: boolean) =>
      A.page.evaluate<string>(
        `(() => { const s = getComputedStyle(document.querySelector('[role="tab"][aria-selected="${selected}"]')); return [s.outlineStyle, s.outlineWidth, s.fontWeight].join(' '); })()`,
      );
    assert.notEqual(await look(true), await look(false), 'the selected tab looks unlike the others');
    await screenshotThemes(A.page, 'terminals-tabs-390-forced');
    await A.page.emulateMedia({ forcedColors: 'none' });
    await A.page.setViewportSize({ width: 1280, height: 800 });
    await screenshotThemes(A.page, 'terminals-tabs-1280');
  },
);

test(
  'search says "No matches" in a live region, and which match of how many',
  { skip: skip ?? false },
  async () => {
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('clear; echo findme findme\n');
    await waitForScreen(A.page, /^findme findme\s*$/m);
    await A.page.keyboard.press('Control+Shift+F');
    const search = A.page.getByRole('search');
    const field = search.getByLabel('Search the terminal');
    const status = search.getByRole('status');
    await field.fill('zzznotthere');
    await field.press('Enter');
    assert.equal(await status.textContent(), 'No matches for “zzznotthere”');
    assert.ok(await focused(field), 'the focus stays in the field');
    await screenshotThemes(A.page, 'terminals-search-no-match');
    await field.fill('findme');
    assert.equal(await status.textContent(), '', 'a new query clears the old answer');
    await field.press('Enter');
    // Twice in the output (`clear` took the command line away).
    assert.match((await status.textContent()) ?? '', /^Match [12] of 2$/);
    const highlights = A.page.locator('.terminal-pane .xterm-find-result-decoration');
    // Drawn with xterm's next frame.
    await highlights.first().waitFor({ timeout: 3_000 });
    await screenshotThemes(A.page, 'terminals-search-count');
    // Editing the query takes the old highlights and answer away at once; the new query is searched
    // when typing pauses, without Enter.
    await field.press('Control+A');
    await field.pressSequentially('zzznope');
    assert.equal(await highlights.count(), 0, 'the old query’s highlights are gone');
    assert.equal(
      await A.page.locator('.terminal-pane .xterm-find-active-result-decoration').count(),
      0,
      'and so is its selected match',
    );
    await waitForText(status, /^No matches for “zzznope”$/, 3_000);
    await screenshotThemes(A.page, 'terminals-search-edited');
    await field.fill('findme');
    await waitForText(status, /^Match [12] of 2$/, 3_000);
    await field.press('Escape');
    await search.waitFor({ state: 'detached' });
  },
);

test(
  'the shortcuts are on screen behind a "Keyboard shortcuts" button, by keyboard',
  { skip: skip ?? false },
  async () => {
    const button = A.page.getByRole('button', { name: 'Keyboard shortcuts' });
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    await button.focus();
    await A.page.keyboard.press('Enter');
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    const list = A.page.locator(`#${await button.getAttribute('aria-controls')}`);
    assert.ok(await list.isVisible(), 'the list shows');
    const text = await list.innerText();
    for (const keys of ['Ctrl+Shift+F', 'Alt+Shift+T', 'Alt+Shift+W', 'Alt+Shift+↑']) {
      assert.ok(text.includes(keys), `${keys} is listed`);
    }
    // Not hidden in a tooltip any more.
    assert.equal(await A.page.locator('.tabbar [title]').count(), 0);
    await screenshotThemes(A.page, 'terminals-shortcuts');
    await A.page.keyboard.press('Enter');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    await list.waitFor({ state: 'detached' });
  },
);

test(
  'closing a tab with ✕ puts the focus on the tab selected next, or on New terminal when none is left; Escape on the peer picker returns to New terminal',
  { skip: skip ?? false },
  async () => {
    const close = async (name: string) => {
      await A.page.getByRole('button', { name, exact: true }).click();
      const confirm = A.page.getByRole('dialog');
      await confirm.getByRole('button', { name: 'Close terminal' }).click();
      await confirm.waitFor({ state: 'detached' });
    };
    // The selected tab's ✕: the next tab is selected, and has the focus.
    await A.page.getByRole('tab', { name: /^e-laptop/ }).click();
    await close('Close terminal on e-laptop');
    const selected = A.page.getByRole('tab', { selected: true });
    assert.match((await selected.textContent()) ?? '', /^averyvery/, 'the tab after it is selected');
    assert.ok(await becomesFocused(selected), 'and has the focus (not the page’s main)');
    // Another tab's ✕: the selection stays, and the focus goes to it.
    await close('Close terminal on b');
    assert.ok(
      await becomesFocused(A.page.getByRole('tab', { selected: true, name: /^averyvery/ })),
      "await becomesFocused(A.page.getByRole('tab', { selected: true, name: /^averyvery/ }))",
    );
    await close(`Close terminal on ${'c-very-long-machine-name-for-the-tab-bar-test'.padEnd(56, '0')}`);
    await close(`Close terminal on ${'averyveryverylongmachinename'.padEnd(64, 'x')}`);
    assert.equal(await A.page.getByRole('tab').count(), 0);
    const newTerminal = A.page.getByRole('button', { name: 'New terminal' });
    assert.ok(await becomesFocused(newTerminal), 'none left: the focus is on New terminal');

    await A.page.keyboard.press('Enter');
    const picker = A.page.getByRole('combobox', { name: 'Peer' });
    assert.ok(await becomesFocused(picker), 'the picker takes the focus');
    await screenshotThemes(A.page, 'terminals-none-picker');
    await A.page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    assert.ok(await becomesFocused(newTerminal), 'Escape returns the focus to New terminal');
    await newTerminal.click();
    await A.page.getByRole('form', { name: 'New terminal' }).getByRole('button', { name: 'Cancel' }).click();
    assert.ok(await becomesFocused(newTerminal), 'and so does Cancel');
    assert.deepEqual(A.errors, []);
  },
);
