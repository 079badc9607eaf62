/**
 * The window's terminal across a restart to install an update (docs/adr/0082-terminals-across-an-update.md),
 * as a person sees it: A's web UI in Chromium has a terminal on B; A's agent hands its terminals over
 * (what the desktop app asks before it restarts) and is killed; A's agent starts again on the same home,
 * and a new window (a new page on the new agent's web UI) has the terminal under Terminals by itself,
 * with what it showed before, and typing there reaches the same shell. And with the window left open
 * across the restart: its tabs, refused by their old IDs, take their sessions up by the peer's IDs
 * while the agent takes the same ones up from the hand-over; each session has one taker.
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
import { AUDIT_LIST_MAX } from '../../src-main/api/contract.js';
import {
  agentCall,
  pairedAgents,
  startAgent,
  startRelay,
  stopAll,
  type AgentProc,
  type RelayProc,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
/**
 * The file's relay, started by the first test that asks: the tests need agents of their own (the
 * second counts the terminals A lists after its restart, which the first's would add to), not a relay.
 */
let fileRelay: Promise<RelayProc> | undefined;
const sharedRelay = (): Promise<RelayProc> => (fileRelay ??= startRelay());

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'after the agent hands over and restarts, a new window shows the terminal with its output and types into the same shell',
  { skip: skip ?? false },
  async () => {
    const relay = await sharedRelay();
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

/** The `terminal` `resume` events `home`'s agent logged for sessions it serves (`audit.list` flushes). */
async function servedResumes(home: string): Promise<number> {
  const { events } = await agentCall(home, 'audit.list', { limit: AUDIT_LIST_MAX });
  return events.filter((e) => e.kind === 'terminal' && e.phase === 'resume' && e.side === 'served').length;
}

test(
  'with the window open across the hand-over and the restart, each tab and the hand-over take a session up once: one session a terminal, the same shells',
  { skip: skip ?? false },
  async () => {
    const relay = await sharedRelay();
    const { homeA, homeB, a } = await pairedAgents(relay.url, ['e2e-hand-open-a', 'e2e-hand-open-b']);
    // The page finds the agent again after the restart on the same address.
    const uiPort = (a as AgentProc).uiPort!;
    browser ??= await launchBrowser();
    const win = await openUi(browser, await uiUrl(homeA));
    const { page } = win;
    await card(page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
    const pids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: 'Peers' }).click();
      await card(page, 'b').getByRole('button', { name: 'Open terminal' }).click();
      await page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
      await until('a tab per terminal', async () => (await page.getByRole('tab').count()) === i + 1, 10_000);
      await page.locator('.terminal-pane .xterm').click();
      await page.keyboard.type(`echo "pid${i}:$$"\n`);
      pids.push(
        new RegExp(`pid${i}:(\\d+)`).exec(await waitForScreen(page, new RegExp(`pid${i}:\\d+`)))![1]!,
      );
    }
    assert.equal(new Set(pids).size, 3, 'three shells');

    assert.deepEqual(await agentCall(homeA, 'terminal.handOver', {}), { terminals: 3 });
    const resumesBefore = await servedResumes(homeB);
    await a.stop('SIGKILL');
    await startAgent(homeA, {
      name: 'a',
      relay: relay.url,
      listen: '127.0.0.1:0',
      args: ['--ui-listen', `127.0.0.1:${uiPort}`],
    });

    // The page finds the agent again; its tabs are back on a session each.
    await until(
      'the tabs are back on their sessions',
      async () => {
        const all = await agentCall(homeA, 'terminal.list', {}).catch(() => []);
        return all.length >= 3 && all.every((t) => t.attached && t.state === 'connected');
      },
      30_000,
    );
    // Each tab, back on the agent, types into its own shell.
    for (let i = 0; i < 3; i++) {
      await page.getByRole('tab').nth(i).click();
      await page.locator('.terminal-pane .xterm').click();
      await page.keyboard.type(`echo "again${i}:$$"\n`);
      await waitForScreen(page, new RegExp(`again${i}:${pids[i]}`), 30_000);
    }
    // One session a terminal, each taken up once (a path change after that may add one).
    const listed = await agentCall(homeA, 'terminal.list', {});
    assert.equal(listed.length, 3, `listed: ${JSON.stringify(listed.map((t) => t.state))}`);
    assert.ok(
      listed.every((t) => t.state === 'connected' && t.attached),
      "listed.every((t) => t.state === 'connected' && t.attached)",
    );
    await until('b logs the take-ups', async () => (await servedResumes(homeB)) - resumesBefore >= 3, 20_000);
    // Again after more output: two takers would go on taking each session from the other.
    for (let i = 0; i < 3; i++) {
      await page.getByRole('tab').nth(i).click();
      await page.locator('.terminal-pane .xterm').click();
      await page.keyboard.type(`echo "still${i}:$$"\n`);
      await waitForScreen(page, new RegExp(`still${i}:${pids[i]}`), 30_000);
    }
    const resumes = (await servedResumes(homeB)) - resumesBefore;
    assert.ok(resumes <= 6, `b logged ${resumes} resumes of 3 sessions`);
    assert.equal((await agentCall(homeA, 'terminal.list', {})).length, 3);
    // Chromium logs each refused try to reach the agent while it was down: those only.
    assert.deepEqual(
      win.errors.filter((e) => !/WebSocket connection to .* failed: .*ERR_CONNECTION_REFUSED/.test(e)),
      [],
    );
  },
);
