/**
 * The window where it must be careful or must recover: a page without the right token says what to do;
 * a request that came with only a fingerprint cannot be approved until the owner says they compared
 * it; a terminal whose shell exits offers a new session; an agent that restarts under an open page
 * shows "unreachable — retrying…" and the page recovers by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator } from 'playwright-core';
import { MIN_WINDOW_HEIGHT, MIN_WINDOW_WIDTH } from '../../src-main/electron/window-state.js';
import { PAIR_VIEW_HOLD_MS } from '../../src-renderer/features/approvals/request-notices.js';
import { TOAST_MS } from '../../src-renderer/lib/toasts.js';
import {
  assertWithin,
  browserMissing,
  becomesFocused,
  focused,
  whatHasFocus,
  grouped,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForText,
  waitForScreen,
  type UiPage,
} from '../helpers/browser.js';
import {
  agentCall,
  cli,
  cliJson,
  startProcess,
  startRelay,
  stopAll,
  tempHome,
  nodeId,
  pairJoinAwaitingDecision,
  startAgent,
  type AgentProc,
} from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { sleep } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let relayUrl = '';
const homes = { a: '', c: '' };
const ids = { a: '', c: '' };
let agentA: AgentProc;
let uiPort = 0;
let browser: Browser | undefined;
let A: UiPage;

function startA(): Promise<AgentProc> {
  return startAgent(homes.a, {
    name: 'a',
    relay: relayUrl,
    listen: '127.0.0.1:0',
    args: ['--ui-listen', `127.0.0.1:${uiPort}`],
  });
}

before(async () => {
  if (skip) return;
  relayUrl = (await startRelay()).url;
  homes.a = tempHome('e2e-a');
  homes.c = tempHome('e2e-c');
  // A fixed UI port, so the page can find the agent again after it restarts.
  uiPort = await freePort();
  // C takes no direct links, so A reaches it through the relay, and the window says why.
  [agentA] = await Promise.all([
    startA(),
    startAgent(homes.c, { name: 'c', relay: relayUrl, listen: false }),
  ]);
  ids.a = (await nodeId(homes.a)).fingerprint;
  ids.c = (await nodeId(homes.c)).fingerprint;
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homes.a));
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'a page with a wrong token says to open the link clawbridge ui prints, the command as code',
  { skip: skip ?? false },
  async () => {
    const wrong = await openUi(browser!, `http://127.0.0.1:${uiPort}/#token=${'0'.repeat(64)}`);
    const banner = wrong.page.getByRole('alert');
    await waitForText(banner, /open the link that this command prints \(clawbridge ui\)/);
    // The command is shown as code, not between the agent's literal backticks.
    assert.equal(await banner.getByRole('code').textContent(), 'clawbridge ui');
    assert.doesNotMatch(await banner.innerText(), /`/);
    await screenshotThemes(wrong.page, 'unauthorized');
    await wrong.context.close();
  },
);

test(
  'a fingerprint-only request: Approve waits for "I compared the fingerprints"',
  { skip: skip ?? false },
  async () => {
    const added = await cli(['peers', 'add', ids.a, '--name', 'a', '--home', homes.c]);
    assert.equal(added.code, 0, added.stderr);
    await nav(A.page, 'Approvals').click();
    const request = A.page.getByRole('listitem', { name: 'c', exact: true });
    await request.waitFor({ timeout: 15_000 });
    await request.getByText('fingerprint only — compare before approving').waitFor();
    await request.getByLabel(`c's fingerprint: ${grouped(ids.c)}`).waitFor();
    await request.getByLabel(`This device's fingerprint: ${grouped(ids.a)}`).waitFor();
    const approve = request.getByRole('button', { name: 'Approve' });
    assert.equal(await approve.isDisabled(), true, 'not before the owner compared');
    // …and it says why, beside it and (its description) to a screen reader: it is not silent.
    const hintId = await approve.getAttribute('aria-describedby');
    assert.ok(hintId, 'Approve has a description while it waits for the box');
    const hint = A.page.locator(`[id="${hintId}"]`);
    assert.equal((await hint.innerText()).trim(), 'Tick “I compared the fingerprints” first');
    assert.ok(await hint.isVisible(), 'the hint is shown');
    await screenshotThemes(A.page, 'approvals-fingerprint-only');

    // At the desktop app's smallest window both fingerprints and their Copy buttons stay in the card,
    // and so does this device's in Settings.
    await A.page.setViewportSize({ width: MIN_WINDOW_WIDTH, height: MIN_WINDOW_HEIGHT });
    const fits = async (within: Locator, label: string) => {
      await within.getByLabel(`${label}: `, { exact: false }).scrollIntoViewIfNeeded();
      await assertWithin(within.getByLabel(`${label}: `, { exact: false }), within, label);
      const copy = within.getByRole('button', { name: `Copy ${label.toLowerCase()}` });
      await copy.scrollIntoViewIfNeeded();
      await assertWithin(copy, within, `Copy ${label.toLowerCase()}`);
      // …and the card itself in the view: nothing to scroll sideways to.
      await assertWithin(within, A.page.getByRole('main'), `the card of ${label}`);
    };
    await fits(request, "c's fingerprint");
    await fits(request, "This device's fingerprint");
    await screenshotThemes(A.page, 'approvals-min-width');
    await nav(A.page, 'Settings').click();
    await fits(A.page.getByRole('region', { name: 'This device' }), "This device's fingerprint");
    await screenshotThemes(A.page, 'settings-min-width');
    await A.page.setViewportSize({ width: 1280, height: 800 });
    await nav(A.page, 'Approvals').click();
    await request.getByLabel('I compared the fingerprints').check();
    assert.equal(await approve.getAttribute('aria-describedby'), null, 'nothing left to say once ticked');
    assert.equal(await hint.count(), 0);
    await approve.click();
    // The toast saying so stays while its Dismiss button has the focus, however long the user takes,
    // and Enter there takes it down.
    const dismiss = A.page.getByRole('button', { name: 'Dismiss: c approved' });
    await dismiss.focus();
    await sleep(TOAST_MS + 500, 'past the time a toast left alone is up');
    assert.ok(await focused(dismiss), 'the focused toast is still there');
    await A.page.keyboard.press('Enter');
    await dismiss.waitFor({ state: 'detached' });
    await nav(A.page, 'Peers').click();
    await A.page
      .getByRole('listitem', { name: 'c', exact: true })
      .getByText('online', { exact: true })
      .waitFor({ timeout: 20_000 });
  },
);

test('a shell that exits says how, and "New session" starts another', { skip: skip ?? false }, async () => {
  await A.page
    .getByRole('listitem', { name: 'c', exact: true })
    .getByRole('button', { name: 'Open terminal' })
    .click();
  await A.page.getByText('Connecting to c…').waitFor({ state: 'detached', timeout: 15_000 });
  await A.page.locator('.terminal-pane .xterm').click();
  await A.page.keyboard.type('exit 3\n');
  await A.page.getByText('The session exited with code 3.').waitFor({ timeout: 15_000 });
  // The dead terminal takes no input: the focus moves out of it, to the line saying how it ended —
  // not to New session, which keys still being typed would press (running the rest of the line there).
  const said = A.page.getByText('The session exited with code 3.');
  assert.ok(await becomesFocused(said), 'the focus is on the line saying how it ended');
  await A.page.keyboard.type(' ls\n', { delay: 30 });
  await sleep(500, 'typing on must open nothing within this window');
  assert.equal(await said.count(), 1, 'typing on opened no new session');
  assert.equal(await A.page.getByText('Connecting to c…').count(), 0);
  // Tab reaches New session; the terminal's input is out of the tab order.
  const again = A.page.getByRole('button', { name: 'New session' });
  const input = A.page.getByRole('textbox', { name: 'Terminal input' });
  // (A toast still up from the approval may be what Tab reaches next: it stays while focused.)
  await A.page.keyboard.press('Tab');
  assert.ok(await focused(again), `Tab goes to New session, not to ${await whatHasFocus(A.page)}`);
  await A.page.keyboard.press('Tab');
  assert.equal(await focused(input), false, 'Tab does not go into the dead terminal');
  await A.page.keyboard.press('Shift+Tab');
  assert.ok(await focused(again), `Shift+Tab is back on New session, not on ${await whatHasFocus(A.page)}`);
  // Clicked into anyway, it lets Tab through instead of keeping it.
  await A.page.locator('.terminal-pane .xterm').click();
  assert.ok(await focused(input), 'await focused(input)');
  await A.page.keyboard.press('Tab');
  assert.equal(await focused(input), false, 'Tab leaves the dead terminal');
  await screenshotThemes(A.page, 'terminals-exited');
  await A.page.getByRole('button', { name: 'New session' }).click();
  await A.page.getByText('Connecting to c…').waitFor({ state: 'detached', timeout: 15_000 });
  assert.equal(await input.getAttribute('tabindex'), '0', "the new session's input is in the tab order");
  await A.page.locator('.terminal-pane .xterm').click();
  await A.page.keyboard.type('echo again-$((40+2))\n');
  await waitForScreen(A.page, /^again-42\s*$/m);
});

test(
  'the agent is killed and started again under the open page: the terminal tab carries on in the same shell',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Terminals').click();
    await A.page.locator('.terminal-pane .xterm').click();
    // Only this shell knows the marker: seeing it again proves the tab is back in the same one.
    await A.page.keyboard.type('MARK=kept$((6*7)); echo "set-$MARK"\n');
    await waitForScreen(A.page, /^set-kept42\s*$/m);
    // Killed, the agent tells nobody: c keeps the session for its resume window.
    await agentA.stop('SIGKILL');
    await A.page.getByText('Clawbridge agent unreachable — retrying…').waitFor({ timeout: 10_000 });
    agentA = await startA();
    await A.page
      .getByText('Clawbridge agent unreachable — retrying…')
      .waitFor({ state: 'detached', timeout: 15_000 });
    // The restarted agent does not know the tab's session; the tab takes it up on c by c's ID.
    await A.page.getByRole('tab', { name: /^c (direct|relay)/ }).waitFor({ timeout: 20_000 });
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('echo "again-$MARK"\n');
    await waitForScreen(A.page, /^again-kept42\s*$/m);
    // The screen was kept, not redrawn from nothing: what came before the restart is still there.
    await waitForScreen(A.page, /^set-kept42\s*$/m);
    assert.equal(await A.page.getByText(/The session ended/).count(), 0);
  },
);

test(
  'the agent restarts under the open page: a banner, then it recovers by itself',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Peers').click();
    await agentA.stop();
    await A.page.getByText('Clawbridge agent unreachable — retrying…').waitFor({ timeout: 10_000 });
    // The cards are the last known state: no duration counting on from it, no round-trip time.
    const card = A.page.getByRole('listitem', { name: 'c', exact: true });
    await card.getByText('online when the agent was last reached').waitFor();
    assert.equal(await card.getByText(/^online (for|since)|^RTT/).count(), 0);
    await screenshotThemes(A.page, 'agent-unreachable');
    // The stop handed the terminal on c over (ADR 0082), and c keeps it for a taker; c hangs it up
    // meanwhile, so that neither the next agent nor the tab finds it there. The session that exited
    // earlier may still be listed beside it: when its far end did not end its stream within the close
    // grace, the session host keeps it for the resume window.
    const served = (await agentCall(homes.c, 'connections.list', {})).filter(
      (x) => x.kind === 'terminal-served',
    );
    assert.ok(served.length >= 1, 'the handed-over terminal is kept on c');
    for (const one of served) await agentCall(homes.c, 'connections.close', { id: one.id });
    agentA = await startA();
    await A.page
      .getByText('Clawbridge agent unreachable — retrying…')
      .waitFor({ state: 'detached', timeout: 15_000 });
    await A.page.getByRole('listitem', { name: 'c', exact: true }).waitFor();
    // The terminal on c ended while the agent was away; its tab says so and offers a new session.
    await nav(A.page, 'Terminals').click();
    await A.page.getByText(/The session ended: the agent no longer has it/).waitFor({ timeout: 15_000 });
    const again = A.page.getByRole('button', { name: 'New session' });
    await again.waitFor();
    // It ended (it had been open): the tab does not say it failed.
    assert.equal(await A.page.getByRole('tab', { name: 'c ended' }).count(), 1);
    // Entering the view with a dead terminal puts the focus on how it ended, not in the terminal.
    await nav(A.page, 'Peers').click();
    await nav(A.page, 'Terminals').click();
    await again.waitFor();
    assert.ok(
      await becomesFocused(A.page.getByText(/The session ended: the agent no longer has it/)),
      'the focus is on the line saying how it ended',
    );
    await screenshotThemes(A.page, 'terminals-after-agent-restart');
    assert.deepEqual(
      A.errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(e)),
      [],
      'nothing but the expected connection errors while the agent was away',
    );
  },
);

test(
  'a code on show when the agent restarts says it ended, instead of counting down',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Pair').click();
    await A.page.getByRole('button', { name: 'Pair new device' }).click();
    await A.page.getByLabel('Pairing code', { exact: true }).waitFor();
    await agentA.stop();
    await A.page.getByText('Clawbridge agent unreachable — retrying…').waitFor({ timeout: 10_000 });
    agentA = await startA();
    await A.page
      .getByText(/Pairing failed: this code ended when the agent stopped .* Create a new code to try again\./)
      .waitFor({ timeout: 15_000 });
    await A.page.getByRole('button', { name: 'Done' }).click();
  },
);

test(
  'Settings adds a self-signed wss:// relay only after showing its fingerprint, and pins it',
  { skip: skip ?? false },
  async () => {
    const relay = startProcess(['relay', '--listen', '127.0.0.1:0', '--home', tempHome('e2e-tls-relay')]);
    const [, url, fingerprint] = await relay.waitForLine(
      /^relay listening on (wss:\/\/127\.0\.0\.1:\d+) fingerprint ([0-9a-f]{64})$/m,
    );
    await nav(A.page, 'Settings').click();
    await A.page.getByLabel('Relay URL').fill(url!);
    await A.page.getByRole('button', { name: 'Add relay' }).click();
    const trust = A.page.getByRole('group', { name: 'Trust this relay?' });
    await trust
      .getByLabel(`Relay certificate fingerprint: ${grouped(fingerprint!)}`)
      .waitFor({ timeout: 15_000 });
    await screenshotThemes(A.page, 'settings-relay-trust');
    await trust.getByRole('button', { name: 'Trust and add' }).click();
    const row = A.page.getByRole('listitem').filter({ hasText: url! });
    await row.getByText(`pinned ${fingerprint!.slice(0, 8)}…`).waitFor();
    await row.getByText('connected', { exact: true }).waitFor({ timeout: 15_000 });
    await screenshotThemes(A.page, 'settings-relays');
  },
);

test(
  'Pair new device in the window, joined from a CLI: "d wants to pair", approved there',
  { skip: skip ?? false },
  async () => {
    const homeD = tempHome('e2e-d');
    const d = await startAgent(homeD, { name: 'd', relay: relayUrl, listen: '127.0.0.1:0' });
    await nav(A.page, 'Pair').click();
    await A.page.getByRole('button', { name: 'Pair new device' }).click();
    const codeBox = A.page.getByLabel('Pairing code', { exact: true });
    const code = (await codeBox.textContent())!.trim();
    // In a small window the code stays on one line (it is read aloud and typed), inside the view.
    for (const [width, height] of [
      [480, 640],
      [320, 640],
    ] as const) {
      await A.page.setViewportSize({ width, height });
      const lines = await A.page.evaluate<number>(
        "document.querySelector('.pair-code').getClientRects().length",
      );
      assert.equal(lines, 1, `at ${width}×${height} the code is on ${lines} lines`);
      await assertWithin(codeBox, A.page.getByRole('main'), `the code at ${width}×${height}`);
      await screenshotThemes(A.page, `pair-new-${width}`);
    }
    await A.page.setViewportSize({ width: 1280, height: 800 });
    const join = pairJoinAwaitingDecision(code, homeD);
    const heading = A.page.getByRole('heading', { name: 'd wants to pair' });
    await heading.waitFor({ timeout: 15_000 });
    // This view says it, so the "asks to pair" toast (shown wherever else the window is) stays away: a
    // screen reader hears one announcement, and no toast covers Approve or Done in a small window.
    await sleep(PAIR_VIEW_HOLD_MS + 500, 'past the hold of the pair view: no toast may show');
    assert.equal(await A.page.getByText('d asks to pair — see Approvals').count(), 0, 'no toast');
    // Only a short announcement is live; the fingerprints, boxes and buttons are not read out with it.
    const live = A.page.getByRole('status').filter({ hasText: 'wants to pair' });
    assert.equal(await live.count(), 1);
    assert.equal(await live.textContent(), 'd wants to pair');
    const inLive = A.page.locator('[role="status"], [role="alert"], [aria-live]');
    assert.equal(await inLive.getByRole('heading', { name: 'd wants to pair' }).count(), 0);
    assert.equal(await inLive.getByRole('button', { name: 'Approve' }).count(), 0);
    assert.equal(await inLive.getByText("d's fingerprint").count(), 0);
    await screenshotThemes(A.page, 'pair-new-joined');
    await A.page.setViewportSize({ width: 480, height: 640 });
    await screenshotThemes(A.page, 'pair-new-joined-480x640');
    await A.page.setViewportSize({ width: 1280, height: 800 });
    await A.page.getByRole('button', { name: 'Approve' }).click();
    await A.page.getByText('Paired with d.').waitFor({ timeout: 15_000 });
    // Approve went with the request; the focus goes to Done, and the outcome is heard from the
    // region that was there all along.
    assert.ok(await becomesFocused(A.page.getByRole('button', { name: 'Done' })), 'Done has the focus');
    await waitForText(A.page.getByRole('status').filter({ hasText: 'Paired with d' }), /^Paired with d$/);
    const joined = await join;
    assert.equal(joined.code, 0, joined.stderr);
    await d.stop();
    await nav(A.page, 'Peers').click();
    const peer = A.page.getByRole('listitem', { name: 'd', exact: true });
    await peer.getByText(/^(offline|unreachable)$/).waitFor({ timeout: 60_000 });
    await screenshotThemes(A.page, 'peers-offline');
  },
);

test(
  'a relayed peer says why; Ping answers; Rename and Remove (after a confirmation) work',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Peers').click();
    const c = A.page.getByRole('listitem', { name: 'c', exact: true });
    // The CLI's words for the path (core/path-label.ts), then the relay.
    await c.getByText(/^relay( \(spliced\))? ws:\/\/127\.0\.0\.1:\d+$/).waitFor();
    await c.getByText('why relayed?').waitFor();
    // c runs with --no-direct: its hello announces no listener, and that is the reason given.
    await waitForText(
      c,
      /why relayed\? they do not accept direct connections \(their agent announces no listener\)/,
    );
    await c.getByRole('button', { name: 'Ping' }).click();
    await waitForText(c, /Ping: \d+ ms over relay /, 30_000);
    await screenshotThemes(A.page, 'peers-relayed');

    await c.getByRole('button', { name: 'Rename' }).click();
    const rename = A.page.getByRole('dialog', { name: 'Rename c' });
    await rename.getByLabel('Name').fill('c\u0007bad');
    await rename.getByRole('button', { name: 'Rename' }).click();
    // The agent's refusal shows in the dialog, and what was typed stays.
    await rename.getByRole('alert').waitFor();
    assert.equal(await rename.getByLabel('Name').inputValue(), 'c\u0007bad');
    // And is the field's description, so a screen reader in the field hears it (as in Settings).
    const describedBy = (await rename.getByLabel('Name').getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy, 'the field names a description');
    assert.equal(
      await A.page.locator(`[id="${describedBy}"]`).textContent(),
      await rename.getByRole('alert').textContent(),
      'which is the error',
    );
    await rename.getByLabel('Name').fill('cedar');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await A.page.getByRole('listitem', { name: 'cedar', exact: true }).waitFor();

    const d = A.page.getByRole('listitem', { name: 'd', exact: true });
    await d.getByRole('button', { name: 'Remove' }).click();
    const confirm = A.page.getByRole('dialog', { name: 'Remove d?' });
    await screenshotThemes(A.page, 'peers-remove-confirm');
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await d.waitFor({ state: 'detached' });
    // Its Remove went with it: the focus goes to the card that took its place (the last one left),
    // which shows it.
    const left = A.page.getByRole('main').getByRole('listitem').last().getByRole('heading', { level: 2 });
    assert.ok(await becomesFocused(left), 'a card heading has the focus after Remove');
  },
);

test(
  'joining from the window: the other side rejects, and the window says so',
  { skip: skip ?? false },
  async () => {
    const homeE = tempHome('e2e-e');
    await startAgent(homeE, { name: 'e', relay: relayUrl, listen: '127.0.0.1:0' });
    const { code } = await cliJson<{ code: string }>(['pair', 'new', '--home', homeE]);
    await nav(A.page, 'Pair').click();
    await A.page.getByRole('button', { name: 'Join with code' }).click();
    await A.page.getByLabel('Code', { exact: true }).fill(code);
    await A.page.getByRole('button', { name: 'Join', exact: true }).click();
    await waitForText(A.page.locator('main'), /Waiting for approval from e/, 30_000);
    assert.equal((await cli(['reject', '--latest', '--home', homeE])).code, 0);
    await A.page.getByText('e rejected this device.').waitFor({ timeout: 15_000 });
    // The step that failed says so: the approval did not come, it is not ticked off.
    const steps = A.page.getByRole('list', { name: 'Progress' }).getByRole('listitem');
    assert.equal(await steps.nth(0).textContent(), '✓ Finding the other device');
    assert.equal(await steps.nth(2).textContent(), '✗ Waiting for approval from e — failed');
    // Cancel, which had the focus while waiting, is gone: the focus is back on the code.
    assert.ok(
      await becomesFocused(A.page.getByLabel('Code', { exact: true })),
      'the focus is back on the code',
    );
    await screenshotThemes(A.page, 'pair-join-rejected');
  },
);
