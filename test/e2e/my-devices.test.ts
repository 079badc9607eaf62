/**
 * My devices in the window (issue 57, ADR 0056): three agents as real processes on loopback, A's web
 * UI in Chromium, everything done through accessible names. C asks A to pair by fingerprint; A's owner
 * approves it with "This is one of my devices" ticked: C's card shows the mine badge. B, a peer
 * already, is marked with its card's "One of my devices": one-sided until B marks A too, then mine,
 * and A introduces B and C to each other. Join with code offers the same box; Settings says what an
 * introduced device may do here. Pair new device offers it on the request it shows, and a request
 * that came with a code made by `pair new --mine` has it ticked already. Screenshots light and dark.
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
import {
  agentCall,
  cli,
  cliJson,
  startRelay,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
  pairJoinAwaitingDecision,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

type Name = 'a' | 'b' | 'c';
const homes: Record<Name, string> = { a: '', b: '', c: '' };
const ids: Record<Name, { fingerprint: string; listen: string }> = {
  a: { fingerprint: '', listen: '' },
  b: { fingerprint: '', listen: '' },
  c: { fingerprint: '', listen: '' },
};
let browser: Browser | undefined;
let A: UiPage;
/** A's relay: where its pairing codes are met (a loopback listener is not announced on the LAN). */
let relayUrl = '';

/** Node `name` listening on loopback (only `a` with its web UI and relay); its id and address. */
async function startNode(name: Name): Promise<void> {
  homes[name] = tempHome(`e2e-mine-${name}`);
  const a = name === 'a';
  const agent = await startAgent(homes[name], {
    name,
    listen: '127.0.0.1:0',
    ui: a,
    ...(a ? { relay: relayUrl } : {}),
  });
  ids[name] = { fingerprint: agent.fingerprint, listen: agent.listen! };
}

async function ok(args: string[]): Promise<void> {
  const r = await cli(args);
  assert.equal(r.code, 0, `clawbridge ${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  if (skip) return;
  relayUrl = (await startRelay()).url;
  await Promise.all([startNode('a'), startNode('b'), startNode('c')]);
  // a and b are peers (not marked mine yet); c will ask a to pair, as one of the owner's devices.
  await ok(['peers', 'add', ids.b.fingerprint, '--name', 'b', '--address', ids.b.listen, '--home', homes.a]);
  await ok(['peers', 'add', ids.a.fingerprint, '--name', 'a', '--home', homes.b]);
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homes.a));
  await card(A.page, 'b').waitFor();
});

after(async () => {
  await browser?.close();
  await stopAll();
});

test(
  'Approve with "This is one of my devices", mark a peer from its card, and watch A introduce them',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    await ok([
      'peers',
      'add',
      ids.a.fingerprint,
      '--name',
      'a',
      '--address',
      ids.a.listen,
      '--mine',
      '--home',
      homes.c,
    ]);
    await nav(page, /Approvals/).click();
    const request = card(page, 'c');
    await request.waitFor({ timeout: 15_000 });
    await request.getByRole('checkbox', { name: 'I compared the fingerprints' }).check();
    const mine = request.getByRole('checkbox', { name: 'This is one of my devices' });
    assert.equal(await mine.isChecked(), false, 'not ticked unless the owner says so');
    await mine.check();
    await screenshotThemes(page, 'my-devices-approve');
    await request.getByRole('button', { name: 'Approve' }).click();

    await nav(page, 'Peers').click();
    const c = card(page, 'c');
    await waitForText(c, /\bmine\b/, 15_000);
    // b: a peer already; its card marks it. One-sided until b marks a too.
    const b = card(page, 'b');
    const mark = b.getByRole('button', { name: 'b is one of my devices' });
    assert.equal(await mark.getAttribute('aria-pressed'), 'false');
    await mark.click();
    await waitForText(b, /mine, one-sided/, 15_000);
    assert.equal(await mark.getAttribute('aria-pressed'), 'true');
    await ok(['peers', 'mine', 'a', 'on', '--home', homes.b]);
    await until('b to mark a too', async () => !/one-sided/.test((await b.textContent()) ?? ''), 15_000);
    // a introduced c to b (and b to c): b lists c, introduced by a, and the two link.
    const cOnB = await until(
      'c introduced to b',
      async () =>
        (await agentCall(homes.b, 'peers.list', {})).find(
          (p) => p.fingerprint === ids.c.fingerprint && p.state === 'online',
        ),
      15_000,
    );
    assert.equal(cOnB.introducedBy, ids.a.fingerprint);
    await screenshotThemes(page, 'my-devices-peers');
    assert.deepEqual(A.errors, []);
  },
);

test(
  'Join with code offers "This is one of my devices"; Settings says what an introduced device may do',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    await nav(page, 'Pair').click();
    await page.getByRole('button', { name: 'Join with code' }).click();
    const join = page.getByRole('region', { name: 'Join with code' });
    const mine = join.getByRole('checkbox', { name: 'This is one of my devices' });
    await mine.waitFor();
    assert.equal(await mine.isChecked(), false);
    await nav(page, 'Settings').click();
    const section = page.getByRole('region', { name: 'My devices' });
    const may = section.getByRole('group', { name: 'An introduced device may' });
    await may.waitFor();
    assert.equal(await may.getByRole('checkbox', { name: 'Open terminals here' }).isChecked(), true);
    // Saved as soon as it changes; the box shows the saved value once the agent answers.
    await may.getByRole('checkbox', { name: 'Open terminals here' }).click();
    await until(
      'mineAllow saved',
      async () => !(await agentCall(homes.a, 'settings.get', {})).mineAllow.includes('terminal'),
      10_000,
    );
    await screenshotThemes(page, 'my-devices-settings');
    assert.deepEqual(A.errors, []);
  },
);

/** An agent on A's relay only, for a pairing by code; its home. */
async function startJoiner(name: string): Promise<string> {
  const home = tempHome(`e2e-mine-${name}`);
  await startAgent(home, { name, relay: relayUrl, listen: false });
  return home;
}

test(
  'Pair new device offers "This is one of my devices" on the request; a code made with --mine has it ticked',
  { skip: skip ?? false },
  async () => {
    const { page } = A;
    const [homeD, homeE] = await Promise.all([startJoiner('d'), startJoiner('e')]);
    // A code shown in the window, d joining it as one of the owner's devices.
    await nav(page, 'Pair').click();
    await page.getByRole('button', { name: 'Pair new device' }).click();
    const code = (await page.getByLabel('Pairing code', { exact: true }).textContent())!.trim();
    const joinD = pairJoinAwaitingDecision(code, homeD, ['--mine']);
    await page.getByRole('heading', { name: 'd wants to pair' }).waitFor({ timeout: 30_000 });
    const panel = page.getByRole('region', { name: 'Pair new device' });
    const mine = panel.getByRole('checkbox', { name: 'This is one of my devices' });
    assert.equal(await mine.isChecked(), false, 'a code made in the window without it: not ticked');
    await mine.check();
    await screenshotThemes(page, 'my-devices-pair-new');
    await panel.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Paired with d.').waitFor({ timeout: 15_000 });
    const joined = await joinD;
    assert.equal(joined.code, 0, joined.stderr);
    const dId = await nodeId(homeD);
    await until(
      'd marked mine on a, both ways',
      async () =>
        (await agentCall(homes.a, 'peers.list', {})).find(
          (p) => p.fingerprint === dId.fingerprint && p.mine && p.theyMarkMine === true,
        ),
      30_000,
    );
    await page.getByRole('button', { name: 'Done' }).click();

    // A code made with `pair new --mine`: e's request in Approvals comes with the box ticked.
    const made = await cliJson<{ code: string }>(['pair', 'new', '--mine', '--home', homes.a]);
    const joinE = pairJoinAwaitingDecision(made.code, homeE, ['--mine']);
    await nav(page, /Approvals/).click();
    const request = card(page, 'e');
    await request.waitFor({ timeout: 30_000 });
    const ticked = request.getByRole('checkbox', { name: 'This is one of my devices' });
    assert.equal(await ticked.isChecked(), true, 'ticked: its code was made as one of my devices');
    await request.getByRole('button', { name: 'Approve' }).click();
    const joinedE = await joinE;
    assert.equal(joinedE.code, 0, joinedE.stderr);
    await nav(page, 'Peers').click();
    await waitForText(card(page, 'e'), /\bmine\b/, 15_000);
    assert.deepEqual(A.errors, []);
  },
);
