/**
 * "All your machines" (issue 57, ADR 0056), with real agents on loopback: devices marked mine on
 * both sides introduce each other's other devices, which then link on their own; a removal made on
 * one reaches all of them and an old settings file cannot bring the device back; a peer not marked
 * mine is never introduced, and what it sends is ignored.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { PeerInfo } from '../../src-main/api/contract.js';
import { ok, online, pairMine, type LoopbackNode } from '../helpers/loopback-nodes.js';
import {
  agentCall,
  startRelay,
  stopAll,
  tempHome,
  type Proc,
  nodeId,
  startAgent,
  type AgentOptions,
} from '../helpers/processes.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

/** The bounded wait the issue names for an introduction or a removal to reach every device. */
const WITHIN_MS = 10_000;

interface Node extends LoopbackNode {
  proc: Proc;
  opts: AgentOptions;
}

/** `clawbridge agent` named `name` with `extra` flags (a direct listener on a free port unless told). */
async function startNode(
  name: string,
  label: string,
  extra: string[] = ['--listen', '127.0.0.1:0'],
): Promise<Node> {
  const home = tempHome(`${label}-${name}`);
  const opts: AgentOptions = { name, ui: false, args: extra, env: { CLAWBRIDGE_LOG: 'info' } };
  const proc = await startAgent(home, opts);
  const { fingerprint } = await nodeId(home);
  const status = await until(
    `${name} up`,
    async () => {
      const s = await agentCall(home, 'status', {});
      return (extra.includes('--no-direct') || typeof s.listen === 'string') && s;
    },
    30_000,
  );
  return { name, home, fingerprint, address: status.listen ?? '', proc, opts };
}

async function peers(node: LoopbackNode): Promise<PeerInfo[]> {
  return agentCall(node.home, 'peers.list', {});
}

/** Waits (WITHIN_MS) until `at` lists `fp` as a peer marked mine that is online; returns it. */
async function introduced(at: LoopbackNode, fp: string, what: string): Promise<PeerInfo> {
  return until(
    `${what} on ${at.name}`,
    async () => (await peers(at)).find((p) => p.fingerprint === fp && p.mine && p.state === 'online'),
    WITHIN_MS,
  );
}

/** A ping of `peer` from `at` that must succeed, over the control socket as `clawbridge ping` asks it. */
async function ping(at: LoopbackNode, peer: string): Promise<void> {
  const pong = await agentCall(at.home, 'ping', { peer });
  assert.equal(pong.peer, peer, `a pong from ${peer} on ${at.name}`);
}

/**
 * a, b and c, a–b and b–c paired as mine, started on first use: the first test checks what that makes
 * (c and a introduced by b), and the second goes on from there with a fourth device, as a person adds
 * one; neither needs the three fresh, and starting them once saves three agents.
 */
let trio: Promise<[Node, Node, Node]> | undefined;
function mineTrio(): Promise<[Node, Node, Node]> {
  trio ??= (async () => {
    const nodes = await Promise.all([startNode('a', 'mine'), startNode('b', 'mine'), startNode('c', 'mine')]);
    await pairMine(nodes[0], nodes[1]);
    await pairMine(nodes[1], nodes[2]);
    return nodes;
  })();
  return trio;
}

test('a–b and b–c marked mine: a and c become peers (mine, introduced by b), link, and ping both ways', async () => {
  const [a, b, c] = await mineTrio();
  const cOnA = await introduced(a, c.fingerprint, 'c introduced');
  const aOnC = await introduced(c, a.fingerprint, 'a introduced');
  assert.equal(cOnA.introducedBy, b.fingerprint);
  assert.equal(aOnC.introducedBy, b.fingerprint);
  assert.deepEqual(cOnA.allow, ['terminal', 'forward', 'message'], 'the default for my devices (ADR 0056)');
  await ping(a, 'c');
  await ping(c, 'a');
  // The audit log says who made it so: c introduced by b, on a.
  const { events } = await agentCall(a.home, 'audit.list', {});
  assert.ok(
    events.some(
      (e) =>
        e.kind === 'member' &&
        e.change === 'introduced' &&
        e.peer?.name === 'c' &&
        e.by.fingerprint === b.fingerprint,
    ),
    'an audit event: c introduced by b',
  );
  // `peers` says so: the MINE column names who introduced it.
  const listed = await ok(['peers', '--home', a.home]);
  assert.match(listed, /\bc\b.*yes, via b/);
});

// The same four devices through the tests below, in order (node:test runs them one after another).
let a: Node;
let b: Node;
let c: Node;
let d: Node;

test('a fourth device d paired as mine with a alone: b and c link to d', async () => {
  [[a, b, c], d] = await Promise.all([mineTrio(), startNode('d', 'mine')]);
  await introduced(a, c.fingerprint, 'c introduced');
  await pairMine(a, d);
  const dOnB = await introduced(b, d.fingerprint, 'd introduced');
  const dOnC = await introduced(c, d.fingerprint, 'd introduced');
  assert.equal(dOnB.introducedBy, a.fingerprint);
  assert.equal(dOnC.introducedBy, a.fingerprint, 'signed by a, whoever passed it on');
  await introduced(d, b.fingerprint, 'b introduced');
  await introduced(d, c.fingerprint, 'c introduced');
  await ping(c, 'd');
});

// Uses the four devices of the test above, so it fails whenever that one does.
test('peers rm d on c: d is gone from a, b and c, its links are refused, and an old settings file does not bring it back', async () => {
  // b's settings as they were before the removal, to start b with again.
  const before = join(mkdtempSync(join(tmpdir(), 'cb-mine-old-')), 'config.json');
  copyFileSync(join(b.home, 'config.json'), before);
  const removed = await ok(['peers', 'rm', 'd', '--home', c.home]);
  assert.match(removed, /removed d .* on all your other devices/);
  for (const n of [a, b, c]) {
    await until(
      `d gone from ${n.name}`,
      async () => !(await peers(n)).some((p) => p.fingerprint === d.fingerprint),
      WITHIN_MS,
    );
  }
  // d still has them as its devices and keeps dialing: each refuses it.
  for (const n of [a, b, c]) {
    await until(
      `${n.name} refusing d`,
      async () => (await peers(d)).find((p) => p.fingerprint === n.fingerprint)?.state === 'refused',
      45_000,
    );
  }
  // b again, from the file of before: it lists d, but b kept the removal in members.json and drops d at
  // start (ADR 0065; my-devices-kept-removal.test.ts checks d never links there).
  await b.proc.stop();
  copyFileSync(before, join(b.home, 'config.json'));
  b = { ...b, proc: await startAgent(b.home, b.opts) };
  await online(b, 'a');
  await until(
    'd gone from b after its restart',
    async () => !(await peers(b)).some((p) => p.fingerprint === d.fingerprint),
    WITHIN_MS,
  );
  // Long enough for every exchange that restart started (b's with a, c and d) to be over.
  await sleep(3000, 'd must not come back within this window');
  for (const n of [a, b, c]) {
    assert.ok(!(await peers(n)).some((p) => p.fingerprint === d.fingerprint), `d came back on ${n.name}`);
  }
});

test('a peer e of b that is not marked mine is never introduced, and what e sends is ignored', async () => {
  const e = await startNode('e', 'mine');
  // Over the control socket, as `peers add` and `peers mine` do: what they print is not checked here.
  await agentCall(b.home, 'peers.add', { fingerprint: e.fingerprint, name: 'e', address: e.address });
  await agentCall(e.home, 'peers.add', { fingerprint: b.fingerprint, name: 'b' });
  await online(b, 'e');
  // e marks b as its own, and a made-up device f too: its introduction of f goes to b, which refuses it.
  const f = 'f'.repeat(64);
  await agentCall(e.home, 'peers.add', { fingerprint: f, name: 'f', mine: true });
  await agentCall(e.home, 'peers.mine', { peer: 'b', on: true });
  await until(
    'b refusing e’s introductions',
    async () => (await peers(e)).find((p) => p.name === 'b')?.theyMarkMine === false,
    WITHIN_MS,
  );
  // A change on b makes it exchange with a and c again: e is still not among what it tells them.
  await agentCall(b.home, 'peers.mine', { peer: 'c', on: false });
  await agentCall(b.home, 'peers.mine', { peer: 'c', on: true });
  await sleep(3000, 'f must not be introduced within this window');
  for (const n of [a, b, c]) {
    const list = await peers(n);
    assert.ok(!list.some((p) => p.fingerprint === f), `f introduced to ${n.name}`);
    if (n !== b) assert.ok(!list.some((p) => p.fingerprint === e.fingerprint), `e introduced to ${n.name}`);
  }
});

test('over a relay only (no direct listener anywhere): a and c are introduced by b and ping both ways', async () => {
  const relay = await startRelay();
  const onRelay = ['--relay', relay.url, '--no-direct'];
  const [ra, rb, rc] = await Promise.all([
    startNode('a', 'mine3', onRelay),
    startNode('b', 'mine3', onRelay),
    startNode('c', 'mine3', onRelay),
  ]);
  await pairMine(ra, rb);
  await pairMine(rb, rc);
  await introduced(ra, rc.fingerprint, 'c introduced');
  await introduced(rc, ra.fingerprint, 'a introduced');
  // Online, then its path read again: a link that was replaced meanwhile (a loaded machine) has none
  // for a moment, so the path is waited for; with no direct listener anywhere it can only be the relay.
  await until(
    'a reaches c over the relay',
    async () => (await peers(ra)).find((p) => p.name === 'c')?.path === 'relay',
    WITHIN_MS,
  );
  assert.match(await ok(['ping', 'c', '--home', ra.home]), /via relay/);
  assert.equal((await agentCall(rc.home, 'ping', { peer: 'a' })).path, 'relay', 'c pings a via relay');
});
