/**
 * Copy and paste in the relay page's terminal, in Chromium with the clipboard permissions granted (ADR
 * 0094): a word of output selected on the screen goes to the clipboard by the key row's Copy key and by
 * Ctrl+Shift+C; the clipboard's text reaches the shell by the Paste key (a phone's only way) and by
 * Ctrl+Shift+V.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { PairNewResult } from '../../src-main/api/contract.js';
import { browserMissing, launchBrowser, screenshotThemes, waitForText } from '../helpers/browser.js';
import { cli, cliJson, startRelay, startRelayAgent, stopAll, tempHome } from '../helpers/processes.js';
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
    const relay = await startRelay();
    const printed = await relay.proc.waitForLine(/^relay page at (http:\/\/127\.0\.0\.1:\d+\/) sha256/m);
    const home = tempHome('device');
    await startRelayAgent(home, 'office', relay.url);
    const code = await cliJson<PairNewResult>(['pair', 'new', '--home', home]);
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: new URL(printed[1]!).origin,
      });
      const page = await context.newPage();
      await page.goto(printed[1]!);
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
      const screen = page.locator('.xterm-rows');
      await page.keyboard.type('echo COPYME-$((3*3))\n');
      await waitForText(screen, /^COPYME-9$/m, 30_000);

      // Select the output word with a double click, as a user would.
      const select = async () => {
        const row = screen.locator(':scope > div').filter({ hasText: /^COPYME-9\s*$/ });
        const box = (await row.boundingBox())!;
        await page.mouse.dblclick(box.x + 8, box.y + box.height / 2);
      };
      const keys = page.getByRole('toolbar', { name: 'Keys' });
      await setClipboard(page, 'nothing yet');
      await select();
      await keys.getByRole('button', { name: 'Copy', exact: true }).click();
      await until(
        'the Copy key copies the selection',
        async () => (await clipboard(page)) === 'COPYME-9',
        10_000,
      );

      await setClipboard(page, 'nothing yet');
      await select();
      await page.keyboard.press('Control+Shift+C');
      await until(
        'Ctrl+Shift+C copies the selection',
        async () => (await clipboard(page)) === 'COPYME-9',
        10_000,
      );

      await setClipboard(page, 'echo PASTED-$((4+4))');
      await keys.getByRole('button', { name: 'Paste', exact: true }).click();
      // The paste is on the line before Enter runs it, as a user sees it before pressing Enter.
      await waitForText(screen, /echo PASTED-\$\(\(4\+4\)\)/, 30_000);
      await page.keyboard.press('Enter');
      await waitForText(screen, /^PASTED-8$/m, 30_000);

      await setClipboard(page, 'echo SHORTCUT-$((5+5))');
      await page.keyboard.press('Control+Shift+V');
      await waitForText(screen, /echo SHORTCUT-\$\(\(5\+5\)\)/, 30_000);
      await page.keyboard.press('Enter');
      await waitForText(screen, /^SHORTCUT-10$/m, 30_000);
      assert.equal(
        ((await screen.innerText()).match(/^PASTED-8$/gm) ?? []).length,
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
