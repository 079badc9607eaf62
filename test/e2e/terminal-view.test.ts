/**
 * The Terminals view's rough edges (issue 27), each checked in Chromium through accessible names, at
 * 800×600 with screenshots in both themes: the view has a heading like every other, the sidebar counts
 * only live terminals, the picker does not make the tab bar taller, the reconnecting banner covers no
 * output, the Pair view offers no third choice beside Approve / Reject, a reload comes back to the view
 * it was on, and the window names a relay path in the CLI's words.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { pathLabel } from '../../src-main/cli/client-commands.js';
import type { PeerInfo } from '../../src-main/api/contract.js';
import {
  browserMissing,
  card,
  laidOut,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForScreen,
  type UiPage,
} from '../helpers/browser.js';
import {
  cliJson,
  pairedAgents,
  startRelay,
  stopAll,
  tempHome,
  type Proc,
  type RelayProc,
  pairJoinAwaitingDecision,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let A: UiPage;
let homeA: string;
let b: Proc;
let relay: RelayProc;

before(async () => {
  if (skip) return;
  relay = await startRelay();
  const agents = await pairedAgents(relay.url, ['e2e-va', 'e2e-vb']);
  homeA = agents.homeA;
  b = agents.b;
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homeA));
  await A.page.setViewportSize({ width: 800, height: 600 });
  await card(A.page, 'b').getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
});

after(async () => {
  await browser?.close();
  await stopAll();
});

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await locator.boundingBox();
  assert.ok(b, 'the element is on screen');
  return b;
}

/** An element's computed font size and weight ("21.6px 700"). */
function fontSize(locator: Locator): Promise<string> {
  return locator.evaluate(
    `(el) => { const s = el.ownerDocument.defaultView.getComputedStyle(el); return s.fontSize + ' ' + s.fontWeight; }`,
  );
}

/** The sidebar's line under the views ("1 terminal open"), or '' when it shows none. */
async function openCount(page: Page): Promise<string> {
  const line = page.getByRole('navigation', { name: 'Views' }).getByText(/terminals? open$/);
  // One read that does not wait: the line may go between a count and a read of its text.
  const [text] = await line.allInnerTexts();
  return text ?? '';
}

async function openTerminal(page: Page): Promise<void> {
  await nav(page, 'Peers').click();
  await card(page, 'b').getByRole('button', { name: 'Open terminal' }).click();
  await page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
}

test(
  'with terminals open the view has a visible heading, styled as every other view’s',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    const peersHeading = page.getByRole('heading', { level: 1, name: 'Peers' });
    const peersStyle = await fontSize(peersHeading);
    await openTerminal(page);
    const heading = page.getByRole('heading', { level: 1, name: 'Terminals' });
    await heading.waitFor();
    const { width, height } = await box(heading);
    // Not a visually hidden one (1×1 px, clipped): a heading one sees, in the same size.
    assert.ok(width > 40 && height > 10, `heading is ${width}×${height}`);
    assert.equal(await fontSize(heading), peersStyle);
    await screenshotThemes(page, 'terminals-heading-800');
  },
);

test(
  'opening the peer picker leaves the tab bar and the terminal where they were',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    const panel = page.getByRole('tabpanel', { name: 'Terminal on b' });
    const before = await box(panel);
    await page.getByRole('button', { name: 'New terminal' }).click();
    const picker = page.getByRole('combobox', { name: 'Peer' });
    await picker.waitFor();
    await screenshotThemes(page, 'terminals-picker-800');
    const during = await box(panel);
    assert.deepEqual(during, before, 'the terminal moved or changed size when the picker opened');
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    assert.deepEqual(await box(panel), before);
  },
);

test('the sidebar counts only live terminals, not ended ones', { skip: skip ?? false }, async () => {
  const { page } = A;
  assert.equal(await openCount(page), '1 terminal open');
  // A second terminal whose shell exits: ended, so not open.
  await openTerminal(page);
  await until('two tabs', async () => (await page.getByRole('tab').count()) === 2, 10_000);
  assert.equal(await openCount(page), '2 terminals open');
  await page.getByRole('tabpanel', { name: 'Terminal 2 on b' }).locator('.xterm').click();
  await page.keyboard.type('exit 3\n');
  await page.getByText('The session exited with code 3.').waitFor({ timeout: 10_000 });
  assert.equal(await openCount(page), '1 terminal open');
  await page.getByRole('button', { name: 'Close terminal 2 on b' }).click();
  await page.getByRole('tab', { name: /^b/ }).click();
});

test(
  'reloading comes back to the view it was on, which the address names',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    await nav(page, 'Pair').click();
    await page.getByRole('heading', { level: 1, name: 'Pair' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#pair');
    // Even where the window's storage did not keep the view (a window opened anew on the same address).
    await page.evaluate(`sessionStorage.removeItem('clawbridge.view')`);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Pair' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('heading', { level: 1, name: 'Peers' }).count(), 0);
  },
);

test(
  'a device asking to pair: Approve and Reject are the only choices, Done comes with the outcome',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    const homeC = tempHome('e2e-vc');
    // Relay only, so the new peer's path is the relay's (the next test reads it).
    // Stopped with the rest (stopAll, after).
    await startAgent(homeC, { name: 'c', relay: relay.url, listen: false });
    await nav(page, 'Pair').click();
    await page.getByRole('button', { name: 'Pair new device' }).click();
    const code = await page.getByLabel('Pairing code', { exact: true }).innerText({ timeout: 15_000 });
    const join = pairJoinAwaitingDecision(code.trim(), homeC);
    const request = page.getByRole('region', { name: 'Pair new device' });
    await request.getByRole('heading', { name: 'c wants to pair' }).waitFor({ timeout: 20_000 });
    await screenshotThemes(page, 'pair-request-800');
    assert.equal(await request.getByRole('button', { name: 'Done' }).count(), 0, 'no Done beside the choice');
    assert.equal(await request.getByRole('button', { name: 'Cancel' }).count(), 0);
    await request.getByRole('button', { name: 'Approve' }).click();
    await request.getByText('✓ Paired with c.').waitFor({ timeout: 15_000 });
    await request.getByRole('button', { name: 'Done' }).waitFor();
    await screenshotThemes(page, 'pair-done-800');
    assert.equal((await join).code, 0);
  },
);

test(
  'the window names a relay path in the CLI’s words: relay (spliced), then the relay',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    // The window's words for c's path are the CLI's `peers` PATH column, then the relay.
    const onRelay = async () =>
      (await cliJson<PeerInfo[]>(['peers', '--json', '--home', homeA])).find((p) => p.name === 'c');
    await until('c online over the relay', async () => (await onRelay())?.path === 'relay', 20_000);
    // A splice follows the relay link shortly where it can; wait for it so both sides see the same.
    await until('c spliced', async () => (await onRelay())?.relaySpliced === true, 10_000).catch(() => {});
    const peer = (await onRelay())!;
    await nav(page, 'Peers').click();
    const words = `${pathLabel(peer)} ${peer.relay}`;
    assert.equal(pathLabel(peer), 'relay (spliced)', 'this setup splices: the case the words differed in');
    await card(page, 'c').getByText(words, { exact: true }).waitFor({ timeout: 10_000 });
    await screenshotThemes(page, 'peers-relay-words-800');
  },
);

test(
  'the reconnecting banner sits above the output, covering none of its first line',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    await nav(page, 'Terminals').click();
    const panel = page.getByRole('tabpanel', { name: 'Terminal on b' });
    await panel.locator('.xterm').click();
    // A first line as wide as the terminal: the banner used to sit over its end.
    await page.keyboard.type("clear; printf '%*s|END\\n' $(( $(tput cols) - 4 )) '' | tr ' ' '='\n");
    await waitForScreen(page, /=\|END\s*$/m);
    // b goes away (its agent killed): a's session on it waits to resume, and says so.
    await b.stop('SIGKILL');
    const banner = panel.getByRole('status').filter({ hasText: 'reconnecting…' });
    await banner.waitFor({ timeout: 20_000 });
    // The banner has no fade-in: in the flow, it makes the terminal a line shorter, laid out in frames.
    await laidOut(page);
    await screenshotThemes(page, 'terminals-reconnecting-800');
    const bar = await box(banner);
    const screen = await box(panel.locator('.xterm-screen'));
    assert.ok(
      bar.y + bar.height <= screen.y + 0.5,
      `banner ${JSON.stringify(bar)} over ${JSON.stringify(screen)}`,
    );
  },
);
