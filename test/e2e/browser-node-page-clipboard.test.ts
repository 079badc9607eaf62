/**
 * Copy and paste in the relay page's terminal (the window's, on the browser node's transport), in
 * Chromium with the clipboard permissions granted (ADR 0094), on a phone-wide screen where the key row
 * shows: a word of output selected on the screen goes to the clipboard by the key row's Copy key and by
 * Ctrl+Shift+C; the clipboard's text reaches the shell by the Paste key (a phone's only way) and by
 * Ctrl+Shift+V.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserMissing, launchBrowser, screenshotThemes, waitForText } from '../helpers/browser.js';
import { stopAll } from '../helpers/processes.js';
import { openTerminal, pairWithDevice, relayWithDevice, screen } from '../helpers/relay-page.js';
import { until } from '../helpers/wait.js';

const missing = browserMissing();
if (missing) console.log(`# ${missing}`);
after(stopAll);

/** The page's clipboard, typed here: the tests compile without the DOM's typings. */
interface PageClipboard {
  readText(): Promise<string>;
  writeText(text: string): Promise<void>;
}
type WithClipboard = { navigator: { clipboard: PageClipboard } };
// Each runs in the page, so it names the page's global itself.
const clipboard = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as WithClipboard).navigator.clipboard.readText());
const setClipboard = (page: Page, text: string) =>
  page.evaluate((t) => (globalThis as unknown as WithClipboard).navigator.clipboard.writeText(t), text);

test(
  'the page’s terminal copies a selection and pastes the clipboard, by key and by shortcut',
  { skip: missing ?? false },
  async () => {
    const { pageUrl, home } = await relayWithDevice();
    // Its own: the test reads back what the page copied, and the clipboard is one per browser, which
    // another file's page, in a browser the run shares, may write meanwhile.
    const browser = await launchBrowser({ own: true });
    try {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: new URL(pageUrl).origin,
      });
      const page = await context.newPage();
      await page.goto(pageUrl);
      await pairWithDevice(page, home);
      await openTerminal(page);
      const rows = screen(page);
      await page.keyboard.type('echo COPYME-$((3*3))\n');
      await waitForText(rows, /^COPYME-9$/m, 30_000);

      // Select the output word with a double click, as a user would.
      const select = async () => {
        const row = rows.locator(':scope > div').filter({ hasText: /^COPYME-9\s*$/ });
        const box = (await row.boundingBox())!;
        await page.mouse.dblclick(box.x + 8, box.y + box.height / 2);
      };
      const keys = page.getByRole('toolbar', { name: 'Keys' });
      // Selecting copies by itself (the window's terminals do): the clipboard is reset after it, so
      // what lands there then is the key's doing.
      await select();
      await setClipboard(page, 'nothing yet');
      await keys.getByRole('button', { name: 'Copy', exact: true }).click();
      await until(
        'the Copy key copies the selection',
        async () => (await clipboard(page)) === 'COPYME-9',
        10_000,
      );

      await select();
      await setClipboard(page, 'nothing yet');
      await page.keyboard.press('Control+Shift+C');
      await until(
        'Ctrl+Shift+C copies the selection',
        async () => (await clipboard(page)) === 'COPYME-9',
        10_000,
      );

      await setClipboard(page, 'echo PASTED-$((4+4))');
      await keys.getByRole('button', { name: 'Paste', exact: true }).click();
      // The paste is on the line before Enter runs it, as a user sees it before pressing Enter.
      await waitForText(rows, /echo PASTED-\$\(\(4\+4\)\)/, 30_000);
      await page.keyboard.press('Enter');
      await waitForText(rows, /^PASTED-8$/m, 30_000);

      await setClipboard(page, 'echo SHORTCUT-$((5+5))');
      await page.keyboard.press('Control+Shift+V');
      await waitForText(rows, /echo SHORTCUT-\$\(\(5\+5\)\)/, 30_000);
      await page.keyboard.press('Enter');
      await waitForText(rows, /^SHORTCUT-10$/m, 30_000);
      assert.equal(
        ((await rows.innerText()).match(/^PASTED-8$/gm) ?? []).length,
        1,
        'the pasted line ran once',
      );
      await select();
      await screenshotThemes(page, 'browser-node-clipboard');
    } finally {
      await browser.close();
    }
  },
);
