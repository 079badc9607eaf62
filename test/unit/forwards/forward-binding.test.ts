/**
 * A forward is bound to its exit peer's fingerprint, not to the name (run-serving.ts dialerFor):
 * a peer removed and another paired under its name never receives the forward's connections; a rename
 * carries the forward along; forwards saved before fingerprints were are bound at start.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { composeAgent } from '../../../src-main/app/compose-agent.js';
import { addPeer, removePeer, renamePeer } from '../../../src-main/app/peer-api.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { addForward, addProxy } from '../../../src-main/forwards/forward-api.js';
import { ForwardManager } from '../../../src-main/forwards/forward-manager.js';
import { testIdentity } from '../../helpers/identities.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { echoServer, memoryExit, RawClient } from './fixtures.js';
import { forwardDeps, savedForwardsOf } from '../../helpers/saved-forwards.js';
import { agentVocabulary } from '../../helpers/agent-contract.js';

const echo = await echoServer();
const cleanups: (() => unknown)[] = [];
after(async () => {
  echo.server.close();
  for (const c of cleanups) await c();
});

const FP_B = (await testIdentity('bind-b')).fingerprint;
const FP_OTHER = (await testIdentity('bind-other')).fingerprint;

/** Node "a" with peer "b"; its forwards dial through an in-memory exit that answers as "b". */
async function setup(home = tempDir('cb-fwd-bind-')) {
  const agent = composeAgent({
    identity: await testIdentity('bind-a'),
    state: NodeState.open(home, undefined, agentVocabulary),
    logger: pino({ level: 'silent' }),
  });
  agent.links.start(); // links follow the peers the tests add (nothing to dial)
  const notices: string[] = [];
  agent.notices.events.on('notice', (n) => notices.push(n.message));
  const exit = memoryExit();
  const manager = new ForwardManager(forwardDeps(agent), exit.dialer);
  cleanups.push(() => agent.links.stop());
  cleanups.push(() => manager.stop(), exit.close);
  return { home, agent, manager, notices };
}

/** One connection through the forward on `port`: true when bytes came back through the exit. */
async function carries(port: number): Promise<boolean> {
  const client = await RawClient.open(port);
  client.socket.write('x');
  const back = await client.read(1).then(
    () => true,
    () => false,
  );
  client.socket.destroy();
  return back;
}

test('a removed peer’s name taken by another node does not take over the forward', async () => {
  const { agent, manager, notices } = await setup();
  addPeer(agent, { fingerprint: FP_B, name: 'b' });
  const info = await addForward(
    { peerEntries: () => agent.links.peerEntries(), forwards: manager },
    { local: '127.0.0.1:0', via: 'b', remote: `127.0.0.1:${echo.port}`, name: 'web' },
  );
  assert.equal(info.viaFingerprint, FP_B);
  assert.equal(agent.state.get().forwards[0]!.viaFingerprint, FP_B);
  const port = Number(info.local.split(':').pop());
  assert.equal(await carries(port), true);

  removePeer(agent, 'b');
  addPeer(agent, { fingerprint: FP_OTHER, name: 'b' });
  assert.equal(await carries(port), false, 'the new "b" must not get the connection');
  assert.equal(
    notices.at(-1),
    `forward web: b (${FP_B.slice(0, 8)}…), the peer this forward goes through, is no longer a peer here: pair it again, or remove the forward and add it via another peer`,
  );

  // The same machine paired again (its own fingerprint) gets its forward back; under another name,
  // the list names it as it is called now.
  removePeer(agent, 'b');
  addPeer(agent, { fingerprint: FP_B, name: 'b' });
  assert.equal(await carries(port), true);
  removePeer(agent, 'b');
  addPeer(agent, { fingerprint: FP_B, name: 'bee' });
  assert.equal(manager.forwards()[0]?.via, 'bee');
});

test('a rename carries the forward; a node paired later under the old name does not', async () => {
  const { agent, manager } = await setup();
  addPeer(agent, { fingerprint: FP_B, name: 'b' });
  await addForward(
    { peerEntries: () => agent.links.peerEntries(), forwards: manager },
    { local: '127.0.0.1:0', via: 'b', remote: `127.0.0.1:${echo.port}`, name: 'web' },
  );
  renamePeer(agent, 'b', 'office');
  addPeer(agent, { fingerprint: FP_OTHER, name: 'b' });
  // The new "b" renamed: nothing of ours moves.
  renamePeer(agent, 'b', 'b2');
  assert.deepEqual(
    manager.forwards().map((f) => [f.via, f.viaFingerprint]),
    [['office', FP_B]],
  );
  assert.deepEqual(
    agent.state.get().forwards.map((f) => [f.via, f.viaFingerprint]),
    [['office', FP_B]],
  );
});

test('a forward saved by an older release is bound at start to the peer holding its name', async () => {
  const home = tempDir('cb-fwd-legacy-');
  const first = await setup(home);
  addPeer(first.agent, { fingerprint: FP_B, name: 'b' });
  savedForwardsOf(first.agent.state).saveForward({
    name: 'web',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
    enabled: true,
  });
  savedForwardsOf(first.agent.state).saveForward({
    name: 'gone',
    kind: 'tcp',
    listen: '127.0.0.1:0',
    via: 'nobody',
    remote: '127.0.0.1:1',
    enabled: false,
  });
  const { agent, manager } = await setup(home);
  await manager.restore();
  assert.deepEqual(
    agent.state.get().forwards.map((f) => [f.name, f.viaFingerprint ?? null]),
    [
      ['web', FP_B],
      ['gone', null],
    ],
  );
  assert.deepEqual(
    manager.forwards().map((f) => [f.name, f.viaFingerprint]),
    [
      ['web', FP_B],
      ['gone', null],
    ],
  );
});

test('a forward or proxy added on port 0 without a name is named after the port it got', async () => {
  const { agent, manager } = await setup();
  addPeer(agent, { fingerprint: FP_B, name: 'b' });
  const host = { peerEntries: () => agent.links.peerEntries(), forwards: manager };
  const forward = await addForward(host, {
    local: '127.0.0.1:0',
    via: 'b',
    remote: `127.0.0.1:${echo.port}`,
  });
  const proxy = await addProxy(host, { kind: 'http', local: '127.0.0.1:0', via: 'b' });
  assert.equal(forward.name, `fwd-${forward.local.split(':').pop()}`);
  assert.equal(proxy.name, `http-${proxy.local.split(':').pop()}`);
  assert.deepEqual(
    agent.state.get().forwards.map((f) => [f.name, f.listen]),
    [
      [forward.name, forward.local],
      [proxy.name, proxy.local],
    ],
  );
});

test('a bound forward hands its client to the dialer as the early source (first data with the OPEN)', async () => {
  const agent = composeAgent({
    identity: await testIdentity('bind-a'),
    state: NodeState.open(tempDir('cb-fwd-bind-'), undefined, agentVocabulary),
    logger: pino({ level: 'silent' }),
  });
  agent.links.start();
  const exit = memoryExit();
  const seen: boolean[] = [];
  const manager = new ForwardManager(forwardDeps(agent), {
    connect: (peer, host, port, opts) => {
      seen.push(opts?.early !== undefined);
      return exit.dialer.connect(peer, host, port, opts);
    },
  });
  cleanups.push(
    () => agent.links.stop(),
    () => manager.stop(),
    exit.close,
  );
  addPeer(agent, { fingerprint: FP_B, name: 'b' });
  const info = await addForward(
    { peerEntries: () => agent.links.peerEntries(), forwards: manager },
    { local: '127.0.0.1:0', via: 'b', remote: `127.0.0.1:${echo.port}`, name: 'web' },
  );
  assert.equal(info.viaFingerprint, FP_B);
  assert.equal(await carries(Number(info.local.split(':').pop())), true);
  assert.deepEqual(seen, [true]);
});
