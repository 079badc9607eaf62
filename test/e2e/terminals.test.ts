/**
 * The window's terminals under load and by keyboard: two agents paired through the CLI (the window's
 * pairing is window.test.ts's subject), A's web UI in Chromium with a terminal on B. The PTY follows
 * the window's size, search and tab shortcuts work, closing a live tab asks, and megabytes of output
 * flow because the page acknowledges what xterm drew.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { MIN_WINDOW_HEIGHT, MIN_WINDOW_WIDTH } from '../../src-main/electron/window-state.js';
import {
  assertWithin,
  browserMissing,
  focused,
  card,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForScreen,
  type UiPage,
  laidOut,
} from '../helpers/browser.js';
import { pairedAgents, startRelay, stopAll } from '../helpers/processes.js';
import { sleep, until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
/** B's agent: frozen (SIGSTOP) while a terminal opens, so the opening lasts while keys are typed. */
let bPid: number;

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  // B lets A open terminals on it: that is what this file drives.
  const { homeA, b } = await pairedAgents(relay.url, ['e2e-ta', 'e2e-tb']);
  bPid = b.child.pid!;
  // Its own: a test pastes what it put on the clipboard, which is one per browser and which another
  // file's page, in a browser the run shares, may write meanwhile.
  browser = await launchBrowser({ own: true });
  A = await openUi(browser, await uiUrl(homeA));
  await card(A.page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
  await card(A.page, 'b').getByRole('button', { name: 'Open terminal' }).click();
  await A.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
});

after(async () => {
  await browser?.close();
  await stopAll();
});

/** The PTY's size as `stty size` reports it in the active terminal: [rows, cols]. */
async function sttySize(page: Page, marker: string): Promise<[number, number]> {
  await page.keyboard.type(`clear; echo ${marker} $(stty size)\n`);
  const text = await waitForScreen(page, new RegExp(`^${marker} \\d+ \\d+\\s*$`, 'm'));
  const m = new RegExp(`^${marker} (\\d+) (\\d+)\\s*$`, 'm').exec(text)!;
  return [Number(m[1]), Number(m[2])];
}

test(
  'the terminal follows the window size, searches, and tabs open (Enter on the peer picker), switch and close (asking first) by keyboard',
  { skip: skip ?? false },
  async () => {
    const pane = A.page.locator('.terminal-pane .xterm');
    await pane.click();
    const [rows, cols] = await sttySize(A.page, 'big');
    // xterm draws one element per row: fewer of them is the refit, whose size went to the PTY with it.
    const rowsDrawn = () => A.page.locator('.terminal-pane .xterm-rows > div').count();
    const rowsBefore = await rowsDrawn();
    await A.page.setViewportSize({ width: 900, height: 600 });
    await until(
      'the terminal refitted to the smaller window',
      async () => (await rowsDrawn()) < rowsBefore,
      15_000,
    );
    const [rows2, cols2] = await sttySize(A.page, 'small');
    assert.ok(rows2 < rows && cols2 < cols, `${rows}×${cols} → ${rows2}×${cols2}`);
    await A.page.setViewportSize({ width: 1280, height: 800 });

    await A.page.keyboard.press('Control+Shift+F');
    const search = A.page.getByRole('search');
    await search.getByLabel('Search the terminal').fill('small');
    await search.getByRole('button', { name: 'Next' }).click();
    await search.getByLabel('Search the terminal').press('Escape');
    await search.waitFor({ state: 'detached' });

    await pane.click();
    await A.page.keyboard.press('Alt+Shift+T');
    // The shortcut puts the focus on the peer picker, where Enter opens the terminal.
    const picker = A.page.getByRole('combobox', { name: 'Peer' });
    assert.ok(await focused(picker), 'Alt+Shift+T focuses the peer picker');
    await A.page.keyboard.press('Enter');
    await A.page.getByRole('tab').nth(1).waitFor({ timeout: 5_000 });
    await picker.waitFor({ state: 'detached' });
    assert.equal(await A.page.getByRole('tab').count(), 2);
    assert.equal(await A.page.getByRole('tab').nth(1).getAttribute('aria-selected'), 'true');
    // Two tabs on one peer: each is called by its own name, and so is its close button.
    assert.match((await A.page.getByRole('tab').nth(0).textContent()) ?? '', /^b(?! 2)/);
    assert.match((await A.page.getByRole('tab').nth(1).textContent()) ?? '', /^b 2/);
    await A.page.getByRole('button', { name: 'Close terminal on b', exact: true }).waitFor();
    await A.page.getByRole('button', { name: 'Close terminal 2 on b', exact: true }).waitFor();
    await A.page.getByRole('tabpanel', { name: 'Terminal 2 on b' }).waitFor();
    await A.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
    await pane.click();
    await A.page.keyboard.press('Alt+Shift+ArrowLeft');
    assert.equal(await A.page.getByRole('tab').nth(0).getAttribute('aria-selected'), 'true');
    await A.page.keyboard.press('Alt+Shift+ArrowRight');
    await A.page.keyboard.press('Alt+Shift+W');
    const confirm = A.page.getByRole('dialog', { name: 'Close the terminal 2 on b?' });
    await confirm.getByRole('button', { name: 'Close terminal' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await A.page.getByRole('tab').count(), 1);
  },
);

test(
  'Tab and Escape stay in the terminal, and Alt+Shift+↑ (said in the tab bar) moves the focus to its tab',
  { skip: skip ?? false },
  async () => {
    const input = A.page.getByRole('textbox', { name: 'Terminal input' });
    const tab = A.page.getByRole('tab', { name: /^b/ });
    await A.page.locator('.terminal-pane .xterm').click();
    assert.ok(await focused(input), 'typing goes to the terminal');
    // The shell's keys: completion and Escape do not move the focus, so the way out must be said.
    await A.page.keyboard.press('Tab');
    await A.page.keyboard.press('Escape');
    assert.ok(await focused(input), 'Tab and Escape stay in the terminal');
    const hint = A.page.getByText('Alt+Shift+↑ leaves the terminal');
    assert.ok(await hint.isVisible(), 'the way out is on screen');
    assert.equal(
      await A.page.locator(`#${(await input.getAttribute('aria-describedby'))?.split(' ')[0]}`).textContent(),
      'Alt+Shift+↑ leaves the terminal',
      "and is the terminal input's description, for a screen reader",
    );
    await screenshotThemes(A.page, 'terminals-leave-hint');
    // At the desktop app's smallest window the hint wraps below the tabs, still on screen.
    await A.page.setViewportSize({ width: MIN_WINDOW_WIDTH, height: MIN_WINDOW_HEIGHT });
    assert.ok(await hint.isVisible(), 'await hint.isVisible()');
    await assertWithin(hint, A.page.getByRole('main'), 'the hint');
    await screenshotThemes(A.page, 'terminals-leave-hint-min-width');
    await A.page.setViewportSize({ width: 1280, height: 800 });

    await A.page.keyboard.press('Alt+Shift+ArrowUp');
    assert.ok(await focused(tab), 'the focus is on the terminal’s tab');
    // From there the page's own order goes on: the tab's close button is next.
    await A.page.keyboard.press('Tab');
    assert.ok(
      await focused(A.page.getByRole('button', { name: 'Close terminal on b' })),
      "await focused(A.page.getByRole('button', { name: 'Close terminal on b' }))",
    );
    // Back in, the shell still has its Ctrl+C (clears the Tab's completion, if any).
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.press('Control+C');
  },
);

test(
  'Ctrl+Shift+V pastes the clipboard once: the browser does not paste it a second time',
  { skip: skip ?? false },
  async () => {
    await A.page.evaluate(`navigator.clipboard.writeText('PASTE1')`);
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('clear; echo [');
    await A.page.keyboard.press('Control+Shift+V');
    await waitForScreen(A.page, /echo \[PASTE1/);
    // A second paste (the browser's own) would land by now, before the closing bracket.
    await sleep(500, "a second paste (the browser's own) would land by now");
    await A.page.keyboard.type(']\n');
    const text = await waitForScreen(A.page, /^\[PASTE1[^\n]*\]\s*$/m);
    assert.match(text, /^\[PASTE1\]\s*$/m, `pasted once:\n${text}`);
    await sleep(300, 'a second paste would show by now');
    assert.doesNotMatch(
      await A.page.locator('.terminal-pane .xterm-rows').innerText(),
      /PASTE1PASTE1|^PASTE1/m,
      'and nothing arrives after Enter',
    );

    assert.deepEqual(A.errors, []);
  },
);

test(
  'megabytes of output flow through: the page acknowledges what it drew, so the PTY never stalls',
  { skip: skip ?? false },
  async () => {
    await A.page.locator('.terminal-pane .xterm').click();
    // ~2.4 MB: more than twice the agent's 1 MiB of unacknowledged output, after which it pauses the PTY.
    await A.page.keyboard.type('seq 1 350000; echo flowed-$((20+22))\n');
    await waitForScreen(A.page, /^flowed-42\s*$/m, 30_000);
  },
);

/**
 * How many pixels of `png` (a screenshot) differ clearly from its most common colour, the background:
 * decoded by the page itself (a data: image on a canvas), so no image library is needed here.
 */
function inkPixels(page: Page, png: Buffer): Promise<number> {
  // A string, run in the page: this file is type-checked without the DOM's types.
  return page.evaluate<number>(`(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const bg = [...counts].sort((x, y) => y[1] - x[1])[0][0];
    const [r, g, b] = [bg >> 16, (bg >> 8) & 255, bg & 255];
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) > 96) ink++;
    }
    return ink;
  })(${JSON.stringify(png.toString('base64'))})`);
}

test(
  'an underscore is drawn in its cell (light and dark): `a_b.json` does not read `a b.json`',
  { skip: skip ?? false },
  async () => {
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type("clear; printf '%s\\n' '' UNDERSCORES: ________________ ''\n");
    await waitForScreen(A.page, /^_{16}\s*$/m);
    const row = A.page.locator('.terminal-pane .xterm-rows > div').filter({ hasText: /^_{16}\s*$/ });
    for (const colorScheme of ['light', 'dark'] as const) {
      await A.page.emulateMedia({ colorScheme });
      await laidOut(A.page);
      const ink = await inkPixels(A.page, await row.screenshot());
      // 16 cells of a line at least one pixel high, about 8 pixels wide each.
      assert.ok(ink >= 16 * 6, `${colorScheme}: only ${ink} pixels of the underscores are drawn`);
    }
    await A.page.keyboard.type('clear; ls /nonexistent_dir/container_info.json\n');
    await screenshotThemes(A.page, 'terminals-underscore');
    await A.page.emulateMedia({ colorScheme: 'light' });
  },
);

test('Ping keeps the keyboard focus while it waits for the answer', { skip: skip ?? false }, async () => {
  await A.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Peers' }).click();
  const ping = card(A.page, 'b').getByRole('button', { name: 'Ping' });
  await ping.focus();
  await A.page.keyboard.press('Enter');
  await card(A.page, 'b')
    .getByText(/^Ping: \d+ ms/)
    .waitFor({ timeout: 10_000 });
  assert.ok(await focused(ping), 'the focus stays on Ping');
  await A.page.keyboard.press('Enter');
  await card(A.page, 'b')
    .getByText(/^Ping: \d+ ms/)
    .waitFor({ timeout: 10_000 });
  assert.ok(await focused(ping), 'and again');
  await A.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Terminals' }).click();
});

test(
  'keys typed while a terminal opens reach the shell once it is open, in order',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Peers').click();
    const open = card(A.page, 'b').getByRole('button', { name: 'Open terminal' });
    // B frozen: the opening waits on it (a slow link), long enough to type a command meanwhile.
    process.kill(bPid, 'SIGSTOP');
    try {
      await open.click();
      const connecting = A.page.getByText('Connecting to b…');
      await connecting.waitFor({ timeout: 10_000 });
      await A.page.keyboard.type('echo typed-ahead-$((40+2))\n');
      assert.equal(await connecting.count(), 1, 'the keys were typed while the terminal was still opening');
    } finally {
      process.kill(bPid, 'SIGCONT');
    }
    // Not anchored to a line: keys that reach a shell still starting are echoed by the terminal and
    // then again by the shell's line editor, whose output may follow on the same line (seen under
    // load). The command's own echo says `$((40+2))`, so `42` is only ever its output.
    await waitForScreen(A.page, /typed-ahead-42/, 30_000);
  },
);
