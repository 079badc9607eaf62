/**
 * The window's terminal across a restart to install an update (docs/adr/0082-terminals-across-an-update.md),
 * as a person sees it: A's web UI in Chromium has a terminal on B; A's agent hands its terminals over
 * (what the desktop app asks before it restarts) and is killed; A's agent starts again on the same home,
 * and a new window (a new page on the new agent's web UI) has the terminal under Terminals by itself,
 * with what it showed before, and typing there reaches the same shell.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForScreen,
} from '../helpers/browser.js';
import { agentCall, pairedAgents, startAgent, startRelay, stopAll } from '../helpers/processes.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'after the agent hands over and restarts, a new window shows the terminal with its output and types into the same shell',
  { skip: skip ?? false },
  async () => {
    const relay = await startRelay();
    const { homeA, a } = await pairedAgents(relay.url, ['e2e-hand-a', 'e2e-hand-b']);
    browser = await launchBrowser();
    const before = await openUi(browser, await uiUrl(homeA));
    await card(before.page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
    await card(before.page, 'b').getByRole('button', { name: 'Open terminal' }).click();
    await before.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
    await before.page.locator('.terminal-pane .xterm').click();
    await before.page.keyboard.type('echo "pid:$$"\n');
    const pid = /pid:(\d+)/.exec(await waitForScreen(before.page, /pid:\d+/))![1]!;

    assert.deepEqual(await agentCall(homeA, 'terminal.handOver', {}), { terminals: 1 });
    // The restart: the old window and its agent go, without a hang-up.
    await before.context.close();
    await a.stop('SIGKILL');
    await startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0', ui: true });

    const after = await openUi(browser, await uiUrl(homeA));
    // The window finds the terminal the agent took up by itself, as after a reload: Terminals has it.
    await after.page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('button', { name: 'Terminals' })
      .click();
    await after.page.locator('.terminal-pane .xterm').waitFor({ timeout: 20_000 });
    await waitForScreen(after.page, new RegExp(`pid:${pid}`), 20_000);
    await after.page.locator('.terminal-pane .xterm').click();
    await after.page.keyboard.type('echo "again:$$"\n');
    await waitForScreen(after.page, new RegExp(`again:${pid}`), 20_000);
    await screenshotThemes(after.page, 'terminal-after-update');
    assert.deepEqual(after.errors, []);
  },
);
