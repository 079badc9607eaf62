/**
 * The Connections view end to end: two paired agents, a forward on A carrying bytes over two
 * connections; A's window lists both live (kind, peer, ends, bytes that move), and the "Close
 * connection ID" button cuts that one only: its client sees the close, the other keeps echoing.
 * Screenshots light and dark go to test-results/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Browser } from 'playwright-core';
import type { ConnectionInfo } from '../../src-main/api/contract.js';
import {
  browserMissing,
  launchBrowser,
  nav,
  openUi,
  screenshotThemes,
  uiUrl,
  waitForText,
  type UiPage,
  laidOut,
} from '../helpers/browser.js';
import { cli, cliJson, pairedAgents, startRelay, stopAll } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { until } from '../helpers/wait.js';

const skip = browserMissing();
if (skip) console.log(`# ${skip}`);

let browser: Browser | undefined;
let echo: Server | undefined;

after(async () => {
  await browser?.close();
  echo?.close();
  await stopAll();
});

interface Client {
  socket: Socket;
  got: () => string;
  closed: () => boolean;
}

async function open(port: number): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let got = '';
  let closed = false;
  socket.setEncoding('latin1').on('data', (c: string) => (got += c));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  return { socket, got: () => got, closed: () => closed };
}

async function echoes(c: Client, text: string): Promise<void> {
  c.socket.write(text);
  await until(`echo of ${text}`, () => c.got().includes(text), 10_000);
}

let A: UiPage;
let homeA = '';
const clients: Client[] = [];

before(async () => {
  if (skip) return;
  echo = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as { port: number }).port;
  const relay = await startRelay();
  const pair = await pairedAgents(relay.url, ['conn-a', 'conn-b'], 'forward');
  homeA = pair.homeA;
  const local = await freePort();
  const add = await cli([
    'forward',
    'add',
    '--local',
    String(local),
    '--via',
    'b',
    '--remote',
    `127.0.0.1:${echoPort}`,
    '--name',
    'echo',
    '--home',
    homeA,
  ]);
  assert.equal(add.code, 0, add.stderr);
  for (const text of ['first connection', 'second connection']) {
    const c = await open(local);
    await echoes(c, text);
    clients.push(c);
  }
  browser = await launchBrowser();
  A = await openUi(browser, await uiUrl(homeA));
});

test('the Connections view lists live connections and closes one only', { skip: skip ?? false }, async () => {
  const listed = await cliJson<ConnectionInfo[]>(['connections', '--json', '--home', homeA]);
  const [first, second] = listed.filter((c) => c.kind === 'forward');
  assert.ok(first && second, JSON.stringify(listed));
  await nav(A.page, 'Connections').click();
  await A.page.getByRole('heading', { name: 'Connections' }).waitFor();
  const row = (id: string) => A.page.getByRole('row', { name: `Connection ${id}` });
  await row(first.id).waitFor();
  await row(second.id).waitFor();
  const text = (await row(first.id).textContent()) ?? '';
  assert.match(text, /TCP forward/);
  const peerCell = (await row(first.id).getByRole('cell').nth(1).textContent()) ?? '';
  assert.equal(peerCell, `b${first.peer!.fingerprint.slice(0, 8)}`, 'the peer, and its fingerprint');
  assert.ok(text.includes(first.to) && text.includes(first.from), text);
  // The bytes move live, with no reload: the window follows the agent's connections events.
  await echoes(clients[1]!, 'x'.repeat(5000));
  await waitForText(row(second.id), /4\.9 KiB out|5\.\d KiB out/);
  await screenshotThemes(A.page, 'connections');
  // At a phone's width each row is a block: nothing scrolls sideways.
  const size = A.page.viewportSize();
  await A.page.setViewportSize({ width: 320, height: 700 });
  await laidOut(A.page);
  const [scroll, client] = await A.page.evaluate<[number, number]>(
    `(() => { const m = document.querySelector('main'); return [m.scrollWidth, m.clientWidth]; })()`,
  );
  assert.ok(scroll <= client, `Connections at 320 px: main scrollWidth ${scroll} > clientWidth ${client}`);
  await screenshotThemes(A.page, 'connections-320');
  if (size) await A.page.setViewportSize(size);

  await A.page.getByRole('button', { name: `Close connection ${first.id}` }).click();
  await row(first.id).waitFor({ state: 'detached', timeout: 10_000 });
  await until('the first client cut', () => clients[0]!.closed(), 10_000);
  await echoes(clients[1]!, 'still here');
  assert.equal(await row(second.id).count(), 1, 'the other connection is still listed');
  assert.equal(clients[1]!.closed(), false);
  clients[1]!.socket.destroy();
  await row(second.id).waitFor({ state: 'detached', timeout: 10_000 });
  await A.page.getByText('No open connections.').waitFor();
});
