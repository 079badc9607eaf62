/**
 * The window's IPC transport (src-main/electron/api-ipc.ts) with the real preload, against an agent in
 * memory: what reaches the agent, what is refused and how, events per page, and terminal streams over
 * MessagePorts through the renderer's own IpcTransport.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcTransport } from '../../../src-renderer/api/ipc-transport.js';
import { registerApiIpc, type ApiIpc } from '../../../src-main/electron/api-ipc.js';
import { MAX_PENDING_INPUT_BYTES } from '../../../src-main/electron/api-ipc-stream.js';
import { fakeElectronIpc, type FakePage } from '../../helpers/fake-electron-ipc.js';
import { fakeAgent } from '../../helpers/fake-electron-agent.js';
import { until } from '../../helpers/wait.js';

const PAGE = 'file:///opt/Clawbridge/resources/app.asar/dist/renderer/index.html';

let ipc: ApiIpc | undefined;
afterEach(() => {
  ipc?.dispose();
  ipc = undefined;
});

function setup() {
  const fake = fakeElectronIpc();
  const agent = fakeAgent();
  ipc = registerApiIpc(fake.electron, agent.connection, PAGE, () => undefined);
  return { fake, agent, ipc };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a request from the app page reaches the agent and its answer comes back in an envelope', async () => {
  const { fake, agent } = setup();
  const page = fake.loadPage(`${PAGE}#/peers`);
  assert.deepEqual(await page.bridge.request('status', {}), { ok: true, result: { name: 'desk' } });
  // An agent's refusal keeps its code and the other node's refusal code.
  assert.deepEqual(await page.bridge.request('peers.remove', { peer: 'far' }), {
    ok: false,
    error: {
      code: 'STREAM_REJECTED',
      message: 'far refused: permission denied',
      refusal: 'PERMISSION_DENIED',
    },
  });
  assert.deepEqual(
    agent.calls.map((c) => c.method),
    ['status', 'peers.remove'],
  );
});

test('a foreign page, a subframe, an unknown method and bad params are refused before the agent', async () => {
  const { fake, agent } = setup();
  const foreign = fake.loadPage('https://evil.example/index.html');
  const sub = fake.loadPage(PAGE, { subframe: true });
  const app = fake.loadPage(PAGE);
  const refusal = async (page: FakePage, method: string, params: unknown) => {
    const reply = await page.bridge.request(method, params);
    assert.equal(reply.ok, false);
    return reply.ok ? undefined : reply.error;
  };
  assert.deepEqual(await refusal(foreign, 'status', {}), {
    code: 'IPC_REJECTED',
    message: "IPC refused: sender URL 'https://evil.example/index.html' is not the app's page",
  });
  assert.deepEqual(await refusal(sub, 'status', {}), {
    code: 'IPC_REJECTED',
    message: 'IPC refused: sender is a subframe, not the main frame',
  });
  assert.deepEqual(await refusal(app, 'no.such.method', {}), {
    code: 'BAD_ARGUMENT',
    message: "unknown method 'no.such.method'",
  });
  const bad = await refusal(app, 'peers.rename', { peer: 'b' });
  assert.equal(bad?.code, 'BAD_ARGUMENT');
  assert.match(bad?.message ?? '', /^invalid parameters for peers\.rename: name: /);
  assert.equal((await refusal(app, 'status', { extra: 1 }))?.code, 'BAD_ARGUMENT');
  assert.deepEqual(agent.calls, [], 'nothing refused reached the agent');

  // Streams are checked the same way.
  const stream = (page: FakePage, method: string, params: unknown, id = 'abc-1') =>
    page.bridge.openStream(method, params, id);
  assert.match(
    JSON.stringify(await stream(foreign, 'terminal.open', {})),
    /IPC_REJECTED.*not the app's page/,
  );
  assert.match(
    JSON.stringify(await stream(app, 'terminal.spawn', {})),
    /unknown streaming method 'terminal\.spawn'/,
  );
  assert.match(
    JSON.stringify(await stream(app, 'terminal.open', { peer: 'b', cols: 0, rows: 24 })),
    /invalid parameters for terminal\.open: cols: /,
  );
  assert.match(
    JSON.stringify(await stream(app, 'terminal.open', { peer: 'b', cols: 80, rows: 24 }, '../x y')),
    /invalid stream id/,
  );
  assert.equal(agent.streams.length, 0);
});

test('the preload exposes exactly request, subscribe, openStream, the file helpers, the updater and the service switch on window.clawbridge', () => {
  const { fake } = setup();
  const page = fake.loadPage(PAGE);
  assert.deepEqual([...page.exposed.keys()], ['clawbridge']);
  assert.deepEqual(Object.keys(page.bridge).sort(), [
    'downloadsDir',
    'openFolder',
    'openStream',
    'pathForFile',
    'pickFiles',
    'request',
    'service',
    'subscribe',
    'updates',
  ]);
  assert.deepEqual(Object.keys(page.bridge.updates!).sort(), [
    'check',
    'choose',
    'download',
    'restart',
    'status',
  ]);
  assert.deepEqual(Object.keys(page.bridge.service!).sort(), ['set', 'status']);
  // Functions only, the updater's and the service switch's too: nothing of Electron or Node crosses, only calls.
  const { updates, service, ...rest } = page.bridge;
  for (const value of [...Object.values(rest), ...Object.values(updates!), ...Object.values(service!)])
    assert.equal(typeof value, 'function');
});

test('events go to each subscribed page until it unsubscribes or goes away; app events too', async () => {
  const { fake, agent, ipc } = setup();
  const one = fake.loadPage(PAGE);
  const two = fake.loadPage(PAGE);
  const seen = { one: [] as string[], two: [] as string[] };
  const offOne = one.bridge.subscribe((event) => seen.one.push(event));
  two.bridge.subscribe((event) => seen.two.push(event));
  await until('both pages subscribed', () => agent.listenerCount() === 2);

  agent.emit('changed', { seq: 1, domains: ['settings'] });
  ipc.broadcast('app.navigate', { view: 'approvals' });
  await until('events delivered', () => seen.one.length === 2 && seen.two.length === 2);
  assert.deepEqual(seen.one, ['changed', 'app.navigate']);
  assert.deepEqual(seen.two, ['changed', 'app.navigate']);
  assert.throws(() => ipc.broadcast('changed' as never, {} as never), /app events start with 'app\.'/);

  // The host's state reaches the window too: calls fail while the agent restarts, and it says why.
  agent.setHostState({ kind: 'restarting', reason: 'the agent process ended unexpectedly', retryAt: 1 });
  await until('host state delivered', () => seen.one.length === 3 && seen.two.length === 3);
  assert.deepEqual(one.received.at(-1), [
    'clawbridge:event',
    'app.host',
    { kind: 'restarting', reason: 'the agent process ended unexpectedly', retryAt: 1 },
  ]);
  seen.one.pop();

  offOne();
  await until('page one unsubscribed', () => agent.listenerCount() === 1);
  two.webContents.destroy();
  assert.equal(agent.listenerCount(), 0, 'a closed window holds no subscription');
  agent.emit('changed', { seq: 1, domains: ['settings'] });
  await tick();
  assert.deepEqual(seen.one, ['changed', 'app.navigate']);
  assert.deepEqual(seen.two, ['changed', 'app.navigate', 'app.host']);

  // A foreign page's subscription is refused, and its listener is told why.
  const foreign = fake.loadPage('https://evil.example/');
  const told: [string, unknown][] = [];
  foreign.bridge.subscribe((event, data) => told.push([event, data]));
  await until('refusal delivered', () => told.length === 1);
  assert.equal(told[0]![0], 'app.refused');
  assert.match(JSON.stringify(told[0]![1]), /IPC_REJECTED.*not the app's page/);
  assert.equal(agent.listenerCount(), 0);
});

test('a terminal stream carries bytes both ways over the MessagePort, and either end closes it', async () => {
  const { fake, agent } = setup();
  const page = fake.loadPage(PAGE);
  Object.assign(globalThis, { window: page.window });
  const transport = new IpcTransport(page.bridge);
  const { result, channel } = await transport.openStream('terminal.open', { peer: 'b', cols: 80, rows: 24 });
  assert.deepEqual(result, { id: '0123456789abcdef', path: 'direct', remote: '127.0.0.1:1' });
  const end = agent.streams[0]!;
  assert.deepEqual(end.params, { peer: 'b', cols: 80, rows: 24 });

  const got: string[] = [];
  channel.onMessage((bytes) => got.push(Buffer.from(bytes).toString()));
  end.toPage(Buffer.from('hello from the agent'));
  channel.send(new TextEncoder().encode('typed'));
  await until('bytes both ways', () => got.length === 1 && end.fromPage.length === 1);
  assert.deepEqual(got, ['hello from the agent']);
  assert.equal(Buffer.from(end.fromPage[0]!).toString(), 'typed');

  // The agent ends the session: the page sees the close.
  let closed = false;
  channel.onClose(() => (closed = true));
  end.end();
  await until('the page saw the close', () => closed);

  // The page closes a second stream: the agent's channel closes.
  const second = await transport.openStream('terminal.open', { peer: 'b', cols: 80, rows: 24 });
  second.channel.close();
  await until("the agent's channel closed", () => agent.streams[1]!.closed);
});

test('input the agent cannot take is bounded: past MAX_PENDING_INPUT_BYTES the stream ends', async () => {
  const { fake, agent } = setup();
  const page = fake.loadPage(PAGE);
  Object.assign(globalThis, { window: page.window });
  const { channel } = await new IpcTransport(page.bridge).openStream('terminal.open', {
    peer: 'b',
    cols: 80,
    rows: 24,
  });
  const end = agent.streams[0]!;
  end.accepting = false;
  let closed = false;
  channel.onClose(() => (closed = true));
  const chunk = new Uint8Array(64 * 1024);
  for (let sent = 0; sent <= MAX_PENDING_INPUT_BYTES + chunk.length; sent += chunk.length)
    channel.send(chunk);
  await until('the stream ended on both sides', () => end.closed && closed);
  // Everything up to the limit was passed on; nothing after it.
  const passed = end.fromPage.reduce((n, b) => n + b.byteLength, 0);
  assert.ok(passed <= MAX_PENDING_INPUT_BYTES + 2 * chunk.length, `${passed} bytes passed`);
});

test('dispose removes every handler', () => {
  const { fake, ipc } = setup();
  assert.deepEqual(fake.handled().sort(), [
    'clawbridge:open-stream',
    'clawbridge:request',
    'clawbridge:subscribe',
    'clawbridge:unsubscribe',
  ]);
  ipc.dispose();
  assert.deepEqual(fake.handled(), []);
});

test("the window's connection state follows the agent's host: restarting, then connected again", async () => {
  const { fake, agent } = setup();
  const transport = new IpcTransport(fake.loadPage(PAGE).bridge);
  await until('the transport subscribed', () => agent.listenerCount() === 1);
  const seen: string[] = [];
  transport.onState((s) => seen.push(s.kind === 'reconnecting' ? `reconnecting: ${s.reason}` : s.kind));
  agent.setHostState({
    kind: 'restarting',
    reason: 'the agent process ended unexpectedly',
    retryAt: Date.now() + 1_000,
  });
  await until('restarting seen', () => seen.length === 1);
  const state = transport.state;
  assert.ok(
    state.kind === 'reconnecting' && state.retryInMs > 0 && state.retryInMs <= 1_000,
    "state.kind === 'reconnecting' && state.retryInMs > 0 && state.retryInMs <= 1_000",
  );
  agent.setHostState({ kind: 'starting' });
  agent.setHostState({ kind: 'running' });
  await until('running seen', () => seen.length === 3);
  assert.deepEqual(seen, ['reconnecting: the agent process ended unexpectedly', 'connecting', 'connected']);
  transport.close();
  await until('the transport unsubscribed', () => agent.listenerCount() === 0);
});
