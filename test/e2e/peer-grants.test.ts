/**
 * Both directions of trust in the window (docs/protocol.md §Grants): three agents as real processes on
 * loopback, A's web UI in Chromium. b lets A forward but not open terminals; c lets A open terminals.
 * The New terminal picker marks b unavailable with the reason and offers c; b's card says what each
 * side allows; when b's owner allows terminals, the picker offers b without a reload (the agent's
 * change event). Join with code offers what the other device may do here, as Approve does.
 * Screenshots light and dark.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import {
  browserMissing,
  card,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForText,
  type UiPage,
} from '../helpers/browser.js';
import { agentCall, cli, stopAll, tempHome, startAgent } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

type Name = 'a' | 'b' | 'c';
const homes: Record<Name, string> = { a: '', b: '', c: '' };
let browser: Browser | undefined;
let A: UiPage;

/** Node `name` listening on loopback (only `a` with its web UI); its fingerprint and address. */
async function startNode(name: Name): Promise<{ fingerprint: string; listen: string }> {
  homes[name] = tempHome(`e2e-grants-${name}`);
  const agent = await startAgent(homes[name], { name, listen: '127.0.0.1:0', ui: name === 'a' });
  return { fingerprint: agent.fingerprint, listen: agent.listen! };
}

async function trust(on: Name, peer: Name, who: { fingerprint: string; listen: string }, allow: string) {
  const args = ['peers', 'add', who.fingerprint, '--name', peer, '--address', who.listen, '--allow', allow];
  const r = await cli([...args, '--home', homes[on]]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  if (skip) return;
  const [a, b, c] = await Promise.all([startNode('a'), startNode('b'), startNode('c')]);
  await trust('a', 'b', b, 'terminal');
  await trust('a', 'c', c, 'terminal');
  await trust('b', 'a', a, 'forward');
  await trust('c', 'a', a, 'terminal');
  // Both peers have told A what they grant it.
  await until(
    'b and c to say what they grant a',
    async () => {
      const peers = await agentCall(homes.a, 'peers.list', {});
      return peers.length === 2 && peers.every((p) => p.theyAllow !== null);
    },
    15_000,
  );
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homes.a));
  await card(A.page, 'b').waitFor();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'New terminal marks a peer that refuses terminals unavailable, with why',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    const b = card(page, 'b');
    await waitForText(b, /may do here: terminal/);
    await waitForText(b, /lets this device: forward/);
    await waitForText(card(page, 'c'), /lets this device: terminal/);
    // Where b listens, with where that address stands: all three run on this machine's loopback.
    await waitForText(b, /listens on 127\.0\.0\.1:\d+ \(this machine\)/);
    // b's card: Open terminal says why it does nothing, and does nothing.
    const openOnB = b.getByRole('button', { name: 'Open terminal on b' });
    assert.equal(await openOnB.getAttribute('aria-disabled'), 'true');
    await waitForText(b, /b does not allow terminals from this device — on b, open Peers → Permissions/);
    const describedBy = (await openOnB.getAttribute('aria-describedby')) ?? '';
    assert.equal(
      await page.locator(`[id="${describedBy}"]`).textContent(),
      'b does not allow terminals from this device — on b, open Peers → Permissions for this device',
    );
    await openOnB.focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getByRole('heading', { name: 'Peers' }).count(), 1, 'still on Peers');
    const openOnC = card(page, 'c').getByRole('button', { name: 'Open terminal on c' });
    assert.equal(await openOnC.getAttribute('aria-disabled'), 'false');
    await screenshotThemes(page, 'peer-grants-peers');

    await nav(page, 'Terminals').click();
    await page.getByRole('button', { name: 'New terminal' }).click();
    const picker = page.getByRole('combobox', { name: 'Peer' });
    const refused = picker.getByRole('option', { name: 'b (does not allow terminals from this device)' });
    await refused.waitFor({ state: 'attached' });
    assert.equal(await refused.isDisabled(), true, 'b cannot be picked');
    const offered = picker.getByRole('option', { name: 'c', exact: true });
    assert.equal(await offered.isDisabled(), false, 'c can be picked');
    assert.equal(await picker.inputValue(), await offered.getAttribute('value'), 'c is the one chosen');
    await screenshotThemes(page, 'peer-grants-new-terminal');

    // b's owner allows terminals: the picker offers b at once, with no reload.
    const allowed = await cli(['peers', 'allow', 'a', 'terminal', '--home', homes.b]);
    assert.equal(allowed.code, 0, allowed.stderr);
    const now = picker.getByRole('option', { name: 'b', exact: true });
    await now.waitFor({ state: 'attached', timeout: 10_000 });
    assert.equal(await now.isDisabled(), false);
    await page.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(A.errors, []);
  },
);

test(
  'Join with code offers what the other device may do here, as Approve does',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    await nav(page, 'Pair').click();
    await page.getByRole('button', { name: 'Join with code' }).click();
    const join = page.getByRole('region', { name: 'Join with code' });
    const may = join.getByRole('group', { name: 'The other device may' });
    await may.waitFor();
    const box = (name: string) => may.getByRole('checkbox', { name });
    assert.equal(await box('Open terminals here').isChecked(), true);
    assert.equal(await box('Forward connections through here').isChecked(), true);
    assert.equal(await box('Use this device as a relay').isChecked(), false);
    assert.equal(await box('Listen on ports here (reverse forwards)').isChecked(), false);
    assert.equal(await box('Send messages to programs here').isChecked(), true);
    await box('Forward connections through here').uncheck();
    assert.equal(await box('Forward connections through here').isChecked(), false);
    await screenshotThemes(page, 'peer-grants-join');
    assert.deepEqual(A.errors, []);
  },
);
