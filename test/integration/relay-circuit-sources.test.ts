/**
 * Circuit exhaustion with free identities (security review, round two): 20 throwaway node IDs from one
 * address, each holding circuitsPerPair circuits to A, used to fill A's circuitsPerNode so that nobody
 * reached A through the relay. Circuits to a target are now counted per source address as well, and
 * nodes the target has linked with (kept a circuit open past linkedAfterMs) are exempt and have a
 * reserve. Distinct 127.0.0.x source addresses stand for distinct machines.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { encodeRelayFrame, type RelayFrame } from '../../src-main/protocol/relay-frames.js';
import { DEFAULT_RELAY_LIMITS } from '../../src-main/protocol/relay-limits.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, startTestRelay } from '../helpers/relay-harness.js';
import { until, sleep } from '../helpers/wait.js';

const { circuitsPerPair, circuitsPerSourceIp } = DEFAULT_RELAY_LIMITS;
/** Short, so the test need not wait 30 s for two nodes to count as linked. */
const LINKED_AFTER_MS = 300;
const ATTACKER_IDS = 20;
let relay: RelayServer;

before(async () => {
  relay = await startTestRelay({ limits: { linkedAfterMs: LINKED_AFTER_MS } });
});
after(() => relay.close());

async function rawNode(label: string, from: string): Promise<RawClient> {
  const raw = await RawClient.connect(relay.url, from);
  await raw.authenticate(await testIdentity(label));
  assert.equal((await raw.next()).type, 'auth-ok');
  return raw;
}

/** Sends OPEN for each id and returns the relay's answer (OPEN_OK or CLOSE) to each. */
async function openAll(raw: RawClient, target: string, ids: number[]): Promise<RelayFrame[]> {
  for (const circuitId of ids) raw.send(encodeRelayFrame({ type: 'open', circuitId, target }));
  const answers = new Map<number, RelayFrame>();
  while (answers.size < ids.length) {
    const f = await raw.next();
    if ((f.type === 'open-ok' || f.type === 'close') && ids.includes(f.circuitId))
      answers.set(f.circuitId, f);
  }
  return [...answers.values()];
}

/** 20 throwaway IDs from `from`, each asking for circuitsPerPair circuits to `target`. */
async function flood(label: string, from: string, target: string) {
  const attackers: RawClient[] = [];
  let accepted = 0;
  for (let i = 0; i < ATTACKER_IDS; i++) {
    const raw = await rawNode(`${label}-${i}`, from);
    attackers.push(raw);
    const ids = Array.from({ length: circuitsPerPair }, (_, k) => k + 1);
    const answers = await openAll(raw, target, ids);
    accepted += answers.filter((f) => f.type === 'open-ok').length;
  }
  return { attackers, accepted };
}

test('20 throwaway IDs from one address hold at most circuitsPerSourceIp circuits to a node; others still link', async () => {
  const a = await connectedClient(relay.url, await testIdentity('src-a'));
  const { attackers, accepted } = await flood('src-flood', '127.0.0.2', a.nodeId);
  assert.equal(accepted, circuitsPerSourceIp, 'one address holds its share and no more');

  // A fresh identity from the same address is refused, and told why.
  const fresh = await rawNode('src-fresh', '127.0.0.2');
  const [answer] = await openAll(fresh, a.nodeId, [1]);
  assert.ok(answer?.type === 'close', "answer?.type === 'close'");
  assert.equal(answer.code, RelayCloseCode.TOO_MANY_CIRCUITS_FROM_ADDRESS);
  assert.equal(
    answer.reason,
    `too many circuits to this peer from this address (limit ${circuitsPerSourceIp} per address)`,
  );
  // A node from another address (here 127.0.0.1) still reaches A, both ways.
  const c = await connectedClient(relay.url, await testIdentity('src-c'));
  await exchange(c, a);

  for (const raw of [...attackers, fresh]) raw.ws.close();
  a.stop();
  c.stop();
  await until('all circuits gone', () => relay.stats().circuits === 0);
});

test('a peer A has linked with gets through from the flooding address itself', async () => {
  const a = await connectedClient(relay.url, await testIdentity('src-a2'));
  // The peer links with A (A keeps its circuit open past linkedAfterMs), then its link drops.
  const peer = await rawNode('src-peer', '127.0.0.5');
  const [first] = await openAll(peer, a.nodeId, [1]);
  assert.equal(first?.type, 'open-ok');
  await sleep(LINKED_AFTER_MS + 100, 'a circuit open past linkedAfterMs makes the peer linked');
  peer.send(encodeRelayFrame({ type: 'close', circuitId: 1, code: 1000, reason: '' }));

  const { attackers, accepted } = await flood('src-flood2', '127.0.0.5', a.nodeId);
  assert.equal(accepted, circuitsPerSourceIp);
  const [again] = await openAll(peer, a.nodeId, [2]);
  assert.equal(again?.type, 'open-ok', 'the linked peer is not held to its address share');

  // An unlinked fresh identity from that address still is.
  const fresh = await rawNode('src-fresh2', '127.0.0.5');
  const [refused] = await openAll(fresh, a.nodeId, [1]);
  assert.ok(
    refused?.type === 'close' && refused.code === RelayCloseCode.TOO_MANY_CIRCUITS_FROM_ADDRESS,
    "refused?.type === 'close' && refused.code === RelayCloseCode.TOO_MANY_CIRCUITS_FROM_ADDRESS",
  );
  for (const raw of [...attackers, fresh, peer]) raw.ws.close();
  a.stop();
  await until('all circuits gone', () => relay.stats().circuits === 0);
});

test('when several addresses fill a node, a reserve stays for the nodes it has linked with', async () => {
  const small = await startTestRelay({ limits: { circuitsPerNode: 64, linkedAfterMs: LINKED_AFTER_MS } });
  const saved = relay;
  relay = small;
  try {
    const { reservedCircuits, circuitsPerNode } = small.limits;
    assert.equal(reservedCircuits, 8, 'derived as circuitsPerNode / 8');
    const a = await connectedClient(small.url, await testIdentity('src-a3'));
    const peer = await rawNode('src-peer3', '127.0.0.8');
    assert.equal((await openAll(peer, a.nodeId, [1]))[0]?.type, 'open-ok');
    await sleep(LINKED_AFTER_MS + 100, 'a circuit open past linkedAfterMs makes the peer linked');
    const x = await flood('src-flood3', '127.0.0.6', a.nodeId);
    const y = await flood('src-flood4', '127.0.0.7', a.nodeId);
    // Everyone unlinked shares circuitsPerNode − reservedCircuits (the peer's first circuit included).
    assert.equal(x.accepted + y.accepted + 1, circuitsPerNode - reservedCircuits);
    const stranger = await rawNode('src-stranger', '127.0.0.9');
    const [refused] = await openAll(stranger, a.nodeId, [1]);
    assert.ok(
      refused?.type === 'close' && refused.code === RelayCloseCode.TOO_MANY_CIRCUITS,
      "refused?.type === 'close' && refused.code === RelayCloseCode.TOO_MANY_CIRCUITS",
    );
    const more = await openAll(peer, a.nodeId, [2, 3, 4]);
    assert.ok(
      more.every((f) => f.type === 'open-ok'),
      'the linked peer uses the reserve',
    );
    for (const raw of [...x.attackers, ...y.attackers, stranger, peer]) raw.ws.close();
    a.stop();
  } finally {
    relay = saved;
    await small.close();
  }
});
