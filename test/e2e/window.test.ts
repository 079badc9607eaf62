/**
 * The window end to end (docs/web-ui.md): a relay and two agents as real processes on loopback, each
 * agent's web UI opened in Chromium, driven only through what a person sees — roles and accessible
 * names. Pairing through both UIs, a terminal from A on B that survives a page reload, and a forward
 * whose bytes arrive exact while its counters move. Screenshots of every view, light and dark, go to
 * test-results/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_WINDOW_HEIGHT, MIN_WINDOW_WIDTH } from '../../src-main/electron/window-state.js';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import {
  becomesFocused,
  browserMissing,
  card,
  grouped,
  launchBrowser,
  nav,
  openView,
  openUi,
  screenshotThemes,
  uiUrl,
  UNNAMED,
  waitForScreen,
  waitForText,
  type UiPage,
} from '../helpers/browser.js';
import { cliJson, startRelay, startRelayAgent, stopAll, tempHome, type Proc } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

const homes = { a: '', b: '' };
const ids = { a: '', b: '' };
let browser: Browser | undefined;
let A: UiPage;
let B: UiPage;
let httpServer: Server | undefined;
const body = randomBytes(3 * 1024 * 1024 + 17);

/** Node `name` on `relayUrl` with its web UI. */
async function startNode(name: 'a' | 'b', relayUrl: string): Promise<Proc> {
  homes[name] = tempHome(`e2e-${name}`);
  const proc = await startRelayAgent(homes[name], name, relayUrl, ['--ui-listen', '127.0.0.1:0']);
  ids[name] = proc.fingerprint;
  return proc;
}

before(async () => {
  if (skip) return;
  const relay = await startRelay();
  await Promise.all([startNode('a', relay.url), startNode('b', relay.url)]);
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homes.a));
  B = await openUi(browser, await uiUrl(homes.b));
});

after(async () => {
  await browser?.close();
  httpServer?.close();
  await stopAll();
});

test('the token leaves the address bar, and the page is connected', { skip: skip ?? false }, async () => {
  for (const { page } of [A, B]) {
    assert.doesNotMatch(page.url(), /token/);
    await page.getByRole('heading', { name: 'Peers' }).waitFor();
  }
  await A.page.getByText('No peers yet').waitFor();
  await screenshotThemes(A.page, 'peers-empty');
});

/** The id of the element that has the keyboard focus in `page`. */
function focusedId(page: Page): Promise<string | undefined> {
  return page.evaluate<string | undefined>('document.activeElement?.id');
}

test(
  'pairing through both windows: code, join, approve with both fingerprints, paired',
  { skip: skip ?? false },
  async () => {
    // A join cancelled while it waits is withdrawn on A: nothing is left there to approve.
    await A.page.getByRole('button', { name: 'Pair new device' }).click();
    const firstBox = A.page.getByLabel('Pairing code', { exact: true });
    await firstBox.waitFor();
    const first = (await firstBox.textContent())!.trim();
    await B.page.getByRole('button', { name: 'Join with code' }).click();
    await B.page.getByLabel('Code', { exact: true }).fill(first);
    await B.page.getByRole('button', { name: 'Join', exact: true }).click();
    // Cancel once the request reached A (B's step list names "Waiting for approval" from the start).
    await A.page.getByRole('heading', { name: 'b wants to pair' }).waitFor({ timeout: 15_000 });
    await B.page.getByRole('button', { name: 'Cancel' }).click();
    await A.page.getByText(/b stopped waiting/).waitFor({ timeout: 10_000 });
    await nav(A.page, 'Approvals').click();
    await A.page.getByText('No device is waiting.').waitFor({ timeout: 5_000 });
    assert.equal(await card(A.page, 'b').count(), 0, 'the cancelled request is gone');
    await nav(A.page, 'Pair').click();

    await A.page.getByRole('button', { name: 'Pair new device' }).click();
    const codeBox = A.page.getByLabel('Pairing code', { exact: true });
    await codeBox.waitFor();
    const code = (await codeBox.textContent())!.trim();
    assert.notEqual(code, first);
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await A.page.getByRole('img', { name: 'Invite link as a QR code' }).waitFor();
    await screenshotThemes(A.page, 'pair-new');
    // A reload (or the window closed and opened again) shows the code still open, not an empty view.
    await A.page.reload();
    await nav(A.page, 'Pair').click();
    const shownAgain = A.page.getByLabel('Pairing code', { exact: true });
    await shownAgain.waitFor();
    assert.equal((await shownAgain.textContent())!.trim(), code);

    await B.page.getByRole('button', { name: 'Join with code' }).click();
    await B.page.getByLabel('Code', { exact: true }).fill(code);
    // Join offers what A may do on B, as Approve does; B lets A do nothing yet (the next test's refusal).
    const may = B.page.getByRole('group', { name: 'The other device may' });
    await may.getByRole('checkbox', { name: 'Open terminals here' }).uncheck();
    await may.getByRole('checkbox', { name: 'Forward connections through here' }).uncheck();
    await B.page.getByRole('button', { name: 'Join', exact: true }).click();
    // While it joins the Code field cannot change (read-only, aria-disabled), and is drawn so: dimmed
    // like any disabled field, not as one to type in.
    const codeField = B.page.getByLabel('Code', { exact: true });
    assert.equal(await codeField.getAttribute('aria-disabled'), 'true');
    const opacity = "getComputedStyle(document.querySelector('.join-form input')).opacity";
    assert.equal(await B.page.evaluate<string>(opacity), '0.55');
    await screenshotThemes(B.page, 'pair-join-busy');

    await nav(A.page, 'Approvals').click();
    const request = card(A.page, 'b');
    await request.waitFor({ timeout: 15_000 });
    await request.getByText('code-verified').waitFor();
    // Both fingerprints side by side, grouped in fours.
    await request.getByLabel(`b's fingerprint: ${grouped(ids.b)}`).waitFor();
    await request.getByLabel(`This device's fingerprint: ${grouped(ids.a)}`).waitFor();
    // B's window reloaded while it waits: the join is shown again where it stands, with its Cancel.
    await B.page.reload();
    await nav(B.page, 'Pair').click();
    await B.page.getByText('Waiting for approval from a').waitFor();
    await B.page.getByRole('button', { name: 'Cancel' }).waitFor();
    await B.page.getByLabel(`a's fingerprint: ${grouped(ids.a)}`).waitFor();
    await B.page.getByLabel(`This device's fingerprint: ${grouped(ids.b)}`).waitFor();
    await screenshotThemes(A.page, 'approvals');
    await screenshotThemes(B.page, 'pair-join-waiting');
    await request.getByRole('button', { name: 'Approve' }).click();

    await B.page.getByText('Paired with a.').waitFor({ timeout: 15_000 });
    // The spent code is gone, so Join cannot try it again under "Paired with a".
    assert.equal(await B.page.getByLabel('Code', { exact: true }).inputValue(), '');
    const joinButton = B.page.getByRole('button', { name: 'Join', exact: true });
    assert.ok(
      (await joinButton.isDisabled()) || (await joinButton.getAttribute('aria-disabled')) === 'true',
      'Join waits for a new code',
    );
    await screenshotThemes(B.page, 'pair-join-paired');

    // Both windows list the other online, with its path.
    for (const [ui, other] of [
      [A, 'b'],
      [B, 'a'],
    ] as const) {
      await nav(ui.page, 'Peers').click();
      const peer = card(ui.page, other);
      await peer.getByText('online', { exact: true }).waitFor({ timeout: 20_000 });
      await peer
        .getByText(
          /^(direct 127\.0\.0\.1:\d+ \(this machine\)|relay( \(spliced\))? ws:\/\/127\.0\.0\.1:\d+)$/,
        )
        .waitFor();
    }
    await screenshotThemes(A.page, 'peers');
  },
);

test(
  "A's terminal on B is refused in plain words until B lets A in through its Permissions dialog",
  { skip: skip ?? false },
  async () => {
    // B granted A only messages when it joined, and told A so: A's card says who refuses what and where to
    // change it, and its Open terminal does nothing (the refusal a peer that has not said gets in the
    // terminal pane is worded by refusal-text.ts; test/unit/renderer/refusal-text.test.ts).
    const onA = card(A.page, 'b');
    await waitForText(
      onA,
      /b does not allow terminals or forwards from this device — on b, open Peers → Permissions/,
      20_000,
    );
    const open = onA.getByRole('button', { name: 'Open terminal' });
    assert.equal(await open.getAttribute('aria-disabled'), 'true');
    await screenshotThemes(A.page, 'peers-refused');

    const peer = card(B.page, 'a');
    await peer.getByRole('button', { name: 'Permissions' }).click();
    const dialog = B.page.getByRole('dialog', { name: 'Permissions of a' });
    await dialog.getByLabel('Open terminals here').check();
    await dialog.getByLabel('Forward connections through here').check();
    await screenshotThemes(B.page, 'peers-permissions');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await peer.getByText('may do here: terminal, forward, message').waitFor();
    // A hears of it over the link: Open terminal works again, with no reload.
    const reopen = card(A.page, 'b').getByRole('button', { name: 'Open terminal' });
    await until(
      'b to tell A it may open terminals',
      async () => (await reopen.getAttribute('aria-disabled')) === 'false',
      15_000,
    );
  },
);

test(
  'a terminal from A on B: typed arithmetic answers 42, and a reload re-attaches',
  { skip: skip ?? false },
  async () => {
    await nav(A.page, 'Peers').click();
    await card(A.page, 'b').getByRole('button', { name: 'Open terminal' }).click();
    await A.page.getByRole('tab', { name: /^b/ }).waitFor();
    await A.page.locator('.terminal-pane .xterm').waitFor();
    // The overlay goes once the session is live; then keys reach the shell.
    await A.page.getByText('Connecting to b…').waitFor({ state: 'detached', timeout: 15_000 });
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('echo $((6*7))\n');
    await waitForScreen(A.page, /^42\s*$/m);
    await screenshotThemes(A.page, 'terminals');

    await A.page.reload();
    await A.page.getByRole('tab', { name: /^b/ }).waitFor({ timeout: 15_000 });
    // The scrollback came back, and the session is the same live shell.
    await waitForScreen(A.page, /^42\s*$/m);
    await A.page.locator('.terminal-pane .xterm').click();
    await A.page.keyboard.type('echo $((6*7))1\n');
    await waitForScreen(A.page, /^421\s*$/m);

    // "New terminal" opens a peer picker that Escape closes again, as the other inline forms.
    await A.page.getByRole('button', { name: 'New terminal' }).click();
    await A.page.getByRole('combobox', { name: 'Peer' }).waitFor();
    await A.page.keyboard.press('Escape');
    await A.page.getByRole('button', { name: 'New terminal' }).waitFor();
    assert.equal(await A.page.getByRole('combobox', { name: 'Peer' }).count(), 0);
  },
);

test(
  'Add forward on A via B to a loopback HTTP server: bytes exact, counters move',
  { skip: skip ?? false },
  async () => {
    httpServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => httpServer!.listen(0, '127.0.0.1', resolve));
    const target = (httpServer.address() as AddressInfo).port;
    const local = await freePort();

    await nav(A.page, 'Forwards').click();
    await A.page.getByRole('button', { name: 'Add forward' }).click();
    const form = A.page.getByRole('form', { name: 'Add forward' });
    // The first field has the focus; nothing typed: the form says what it needs beside the field, in
    // its own words; Escape closes it.
    assert.equal(await focusedId(A.page), await form.getByLabel('Local address').getAttribute('id'));
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.getByText('Enter a port (8080) or an address (127.0.0.1:8080).').waitFor();
    await A.page.keyboard.press('Escape');
    await form.waitFor({ state: 'detached' });
    await A.page.getByRole('button', { name: 'Add forward' }).click();
    // An address other machines could reach needs the box ticked; the refusal says which box.
    await form.getByLabel('Local address').fill('0.0.0.0:1');
    await form.getByLabel('Remote address').fill('127.0.0.1:1');
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.getByText(/not a loopback address.*tick 'Other machines may connect'/).waitFor();
    assert.equal(await form.getByLabel(/^Other machines may connect/).isChecked(), false);
    // A refusal shows beside its field, and what was typed stays.
    await form.getByLabel('Local address').fill(`127.0.0.1:${local}`);
    await form.getByLabel('Via').selectOption({ label: 'b' });
    await form.getByLabel('Remote address').fill('127.0.0.1:99999');
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.getByText(/remote.*65535|port must be/).waitFor();
    assert.equal(await form.getByLabel('Local address').inputValue(), `127.0.0.1:${local}`);
    await screenshotThemes(A.page, 'forwards-add-error');

    await form.getByLabel('Remote address').fill(`127.0.0.1:${target}`);
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.waitFor({ state: 'detached' });
    const row = A.page.getByRole('row').filter({ hasText: `127.0.0.1:${local}` });
    await row.getByText('listening').waitFor();

    const res = await fetch(`http://127.0.0.1:${local}/`);
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(got.length, body.length);
    assert.equal(
      createHash('sha256').update(got).digest('hex'),
      createHash('sha256').update(body).digest('hex'),
    );

    // One connection, the body in, the request out: the counters the agent pushes with its status.
    await waitForText(row, /\b0 open · 1 in all\b[\s\S]*3\.0 MiB in · \d+ B out/);
    await screenshotThemes(A.page, 'forwards');

    // Off frees the port; on listens again. By keyboard, and the switch keeps the focus meanwhile.
    // Named by the forward; whether it is on is its checked state, not its name.
    const toggle = row.getByRole('switch');
    await toggle.focus();
    await A.page.keyboard.press('Space');
    await row.getByText('off', { exact: true }).waitFor();
    // The page has this one forward, so one switch.
    assert.equal(await toggle.count(), 1);
    assert.equal(
      await A.page.evaluate('document.activeElement?.getAttribute("role")'),
      'switch',
      'the switch kept the focus',
    );
    assert.equal(await toggle.isChecked(), false);
    await A.page.keyboard.press('Space');
    await row.getByText('listening').waitFor();

    // A connection that fails at the peer: its client sees only a close; the row says why, and keeps
    // saying it after the toast has gone, until a connection opens again.
    const nothing = await freePort();
    const down = await freePort();
    await cliJson([
      'forward',
      'add',
      '--name',
      'down',
      '--local',
      String(down),
      '--via',
      'b',
      '--remote',
      `127.0.0.1:${nothing}`,
      '--home',
      homes.a,
    ]);
    const downRow = A.page.getByRole('row', { name: 'down' });
    await downRow.getByText('listening').waitFor();
    await new Promise<void>((resolve) =>
      connect(down, '127.0.0.1')
        .on('close', () => resolve())
        .on('error', () => undefined),
    );
    await waitForText(downRow, new RegExp(`Last problem at .+: .*127\\.0\\.0\\.1:${nothing}`));
    // Tabbing to its switch says the state and the problem, not only the name.
    const describedBy = (await downRow.getByRole('switch').getAttribute('aria-describedby')) ?? '';
    const description = (await A.page.locator(`[id="${describedBy}"]`).textContent()) ?? '';
    assert.match(description, /listening.*Last problem at .+: cannot reach/);
    await screenshotThemes(A.page, 'forwards-last-problem');
    await cliJson(['forward', 'rm', 'down', '--home', homes.a]);
    await downRow.waitFor({ state: 'detached' });

    // A UDP forward, chosen in the Protocol group: a datagram comes back whole, and the row says UDP
    // with its datagram counters.
    const echo = createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    const udpLocal = await freePort();
    await A.page.getByRole('button', { name: 'Add forward' }).click();
    const protocol = form.getByRole('radiogroup', { name: 'Protocol' });
    assert.equal(await protocol.getByLabel('TCP', { exact: true }).isChecked(), true);
    await protocol.getByLabel('UDP', { exact: true }).check();
    await form.getByLabel('Local address').fill(`127.0.0.1:${udpLocal}`);
    await form.getByLabel('Via').selectOption({ label: 'b' });
    await form.getByLabel('Remote address').fill(`127.0.0.1:${echo.address().port}`);
    await form.getByLabel('Name (optional)').fill('dns');
    await screenshotThemes(A.page, 'forwards-add-udp');
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.waitFor({ state: 'detached' });
    const udpRow = A.page.getByRole('row', { name: 'dns' });
    await udpRow.getByText('UDP forward').waitFor();
    const client = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
    client.send(Buffer.from('hello over udp'), udpLocal, '127.0.0.1');
    assert.equal((await reply).toString(), 'hello over udp');
    await waitForText(udpRow, /1 datagrams in · 1 out · 0 dropped/);
    await screenshotThemes(A.page, 'forwards-udp');
    client.close();
    echo.close();
    await cliJson(['forward', 'rm', 'dns', '--home', homes.a]);
    await udpRow.waitFor({ state: 'detached' });
  },
);

test(
  "a reverse forward: B allows listen in its Permissions dialog, A adds one with Direction Reverse, B's port reaches A",
  { skip: skip ?? false },
  async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const target = (server.address() as AddressInfo).port;
    const listen = await freePort();

    await nav(B.page, 'Peers').click();
    const peer = card(B.page, 'a');
    await peer.getByRole('button', { name: 'Permissions' }).click();
    const dialog = B.page.getByRole('dialog', { name: 'Permissions of a' });
    await dialog.getByLabel('Listen on ports here (reverse forwards)').check();
    await screenshotThemes(B.page, 'peers-permissions-listen');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await peer.getByText(/may do here: .*listen/).waitFor();

    await nav(A.page, 'Forwards').click();
    await A.page.getByRole('button', { name: 'Add forward' }).click();
    const form = A.page.getByRole('form', { name: 'Add forward' });
    const direction = form.getByRole('radiogroup', { name: 'Direction' });
    await direction.getByRole('radio', { name: /^Reverse/ }).check();
    await form.getByLabel('Listen on the peer').fill(String(listen));
    await form.getByLabel('Via').selectOption({ label: 'b' });
    await form.getByLabel('Connect to (from this device)').fill(`127.0.0.1:${target}`);
    await form.getByLabel('Name (optional)').fill('back');
    await screenshotThemes(A.page, 'forwards-add-reverse');
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.waitFor({ state: 'detached' });
    const row = A.page.getByRole('row', { name: 'back' });
    await row.getByText('Reverse forward').waitFor();
    await row.getByText('listening').waitFor();

    const res = await fetch(`http://127.0.0.1:${listen}/`);
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(
      createHash('sha256').update(got).digest('hex'),
      createHash('sha256').update(body).digest('hex'),
    );
    await waitForText(row, /\b0 open · 1 in all\b/);
    await screenshotThemes(A.page, 'forwards-reverse');
    await cliJson(['forward', 'rm', 'back', '--home', homes.a]);
    await row.waitFor({ state: 'detached' });

    // Reverse and UDP together: B listens for UDP, a datagram sent there reaches A's echo and comes
    // back whole, and the row says so with its datagram counters.
    const echo = createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
    after(() => echo.close());
    const udpListen = await freePort();
    await A.page.getByRole('button', { name: 'Add forward' }).click();
    await form
      .getByRole('radiogroup', { name: 'Direction' })
      .getByRole('radio', { name: /^Reverse/ })
      .check();
    await form.getByRole('radiogroup', { name: 'Protocol' }).getByLabel('UDP', { exact: true }).check();
    await form.getByLabel('Listen on the peer').fill(String(udpListen));
    await form.getByLabel('Via').selectOption({ label: 'b' });
    await form.getByLabel('Connect to (from this device)').fill(`127.0.0.1:${echo.address().port}`);
    await form.getByLabel('Name (optional)').fill('dns-back');
    await screenshotThemes(A.page, 'forwards-add-reverse-udp');
    await form.getByRole('button', { name: 'Add forward' }).click();
    await form.waitFor({ state: 'detached' });
    const udpRow = A.page.getByRole('row', { name: 'dns-back' });
    await udpRow.getByText('Reverse UDP forward').waitFor();
    await udpRow.getByText('listening').waitFor();
    const client = createSocket('udp4');
    after(() => client.close());
    const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
    client.send(Buffer.from('hello back over udp'), udpListen, '127.0.0.1');
    assert.equal((await reply).toString(), 'hello back over udp');
    await waitForText(udpRow, /1 datagrams in · 1 out · 0 dropped/);
    await screenshotThemes(A.page, 'forwards-reverse-udp');
    await cliJson(['forward', 'rm', 'dns-back', '--home', homes.a]);
    await udpRow.waitFor({ state: 'detached' });
  },
);

test('Settings shows this node and its relay; no page logged an error', { skip: skip ?? false }, async () => {
  await nav(A.page, 'Settings').click();
  await A.page.getByLabel(`This device's fingerprint: ${grouped(ids.a)}`).waitFor();
  await A.page.getByText('connected', { exact: true }).first().waitFor();
  await screenshotThemes(A.page, 'settings');
  await A.page.setViewportSize({ width: 800, height: 600 });
  for (const view of ['Peers', 'Terminals', 'Forwards', 'Settings']) {
    await openView(A.page, view);
    await screenshotThemes(A.page, `small-${view.toLowerCase()}`);
  }
  // The desktop app's smallest window: the forwards fit it, no sideways scrolling to reach a switch.
  await A.page.setViewportSize({ width: MIN_WINDOW_WIDTH, height: MIN_WINDOW_HEIGHT });
  await nav(A.page, 'Forwards').click();
  await A.page.getByRole('switch').first().waitFor();
  assert.equal(
    await A.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
    true,
    'the Forwards view is wider than the smallest window',
  );
  await screenshotThemes(A.page, 'forwards-min-width');
  await A.page.setViewportSize({ width: 800, height: 600 });
  assert.deepEqual(A.errors, []);
  assert.deepEqual(B.errors, []);
});

test(
  'a join deep link opens Join with the code filled in; a wrong code is named beside the field, which empties for the next',
  { skip: skip ?? false },
  async () => {
    // What the app does for clawbridge://join?invite=…: open the window at #join=… (a new load here).
    await B.page.goto(`${new URL(B.page.url()).origin}/?deep-link#join=AAAA-BBBB-CCCC`);
    const field = B.page.getByLabel('Code', { exact: true });
    assert.equal(await field.inputValue(), 'AAAA-BBBB-CCCC');
    // The code is consumed; the address names only the view (a reload comes back to Pair, empty).
    assert.equal(new URL(B.page.url()).hash, '#pair', 'the fragment is consumed');
    // A link arriving while the window is open does the same (the app sets the fragment).
    await nav(B.page, 'Peers').click();
    await B.page.evaluate(`location.hash = 'join=' + encodeURIComponent('BBBB-CCCC-DDDD')`);
    assert.equal(await field.inputValue(), 'BBBB-CCCC-DDDD');
    await field.fill('AAAA-BBBB-CCCC');
    await B.page.getByRole('button', { name: 'Join', exact: true }).click();
    // A refused code is no use again (issue 82): the field empties, and the line says which code it was.
    await B.page
      .getByRole('alert')
      .filter({ hasText: 'AAAA-BBBB-CCCC: code invalid or expired' })
      .waitFor({ timeout: 15_000 });
    assert.equal(await field.inputValue(), '', 'the refused code is gone from the field');
    await screenshotThemes(B.page, 'pair-join-failed');
    assert.deepEqual(B.errors, []);
  },
);

test(
  "a peer's 'Forward a port…' opens the form with it as Via; a SOCKS5 proxy is added and removed; every control has a name",
  { skip: skip ?? false },
  async () => {
    await A.page.setViewportSize({ width: 1280, height: 800 });
    await nav(A.page, 'Peers').click();
    await card(A.page, 'b').getByRole('button', { name: 'Forward a port…' }).click();
    const form = A.page.getByRole('form', { name: 'Add forward' });
    assert.equal(await form.getByLabel('Via').inputValue(), ids.b);
    // A SOCKS proxy may leave the peer to each client; back on TCP, Via is a peer again (not empty).
    await form.getByLabel('SOCKS5 proxy').check();
    await form.getByLabel('Via').selectOption({ label: 'chosen by each client (SOCKS user name)' });
    await form.getByLabel('TCP forward').check();
    assert.equal(await form.getByLabel('Via').inputValue(), ids.b);
    await form.getByLabel('SOCKS5 proxy').check();
    const port = await freePort();
    await form.getByLabel('Local address').fill(String(port));
    await form.getByLabel('Via').selectOption({ label: 'b' });
    assert.equal(await form.getByLabel('Remote address').count(), 0, 'a proxy has no fixed remote');
    await form.getByRole('button', { name: 'Add forward' }).click();
    const row = A.page.getByRole('row').filter({ hasText: `127.0.0.1:${port}` });
    await row.getByText('SOCKS5 proxy').waitFor();
    // Only a port was typed: the toast names the address it listens on.
    await A.page.locator('.toast').getByText(`Proxy on 127.0.0.1:${port} added`).waitFor();
    await row.getByText('listening').waitFor();

    for (const view of ['Peers', 'Approvals', 'Pair', 'Terminals', 'Forwards', 'Settings']) {
      await openView(A.page, view);
      assert.deepEqual(await A.page.evaluate(UNNAMED), [], `unnamed controls in ${view}`);
    }
    await A.page.setViewportSize({ width: 800, height: 600 });
    for (const view of ['Approvals', 'Pair']) {
      await nav(A.page, view).click();
      await screenshotThemes(A.page, `small-${view.toLowerCase()}`);
    }
    await A.page.setViewportSize({ width: 1280, height: 800 });

    await nav(A.page, 'Forwards').click();
    await row.getByRole('button', { name: 'Remove' }).click();
    await A.page
      .getByRole('dialog', { name: /^Remove / })
      .getByRole('button', { name: 'Remove' })
      .click();
    await row.waitFor({ state: 'detached' });
    // Its Remove button went with it: the focus goes to the row that is left (its switch), not to an
    // unmarked <main>.
    assert.ok(await becomesFocused(A.page.getByRole('switch'), 5_000), 'the other row has the focus');
  },
);
