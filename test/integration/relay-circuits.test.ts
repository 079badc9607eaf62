/**
 * Relay circuits end to end on loopback: two nodes authenticate, open a circuit, exchange bytes both
 * ways; closes propagate; a circuit to an offline node fails at once with a clear line; limits apply.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../src-main/core/errors.js';
import { abbreviateFingerprint } from '../../src-main/core/fingerprint.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { RelayCircuit } from '../../src-main/transport/relay-circuit.js';
import { testIdentity } from '../helpers/identities.js';
import {
  connectedClient,
  exchange,
  nextFrame,
  nextIncoming,
  startTestRelay,
  within,
  WAIT_MS,
} from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let relay: RelayServer;
const clients = new Map<string, RelayClient>();

before(async () => {
  relay = await startTestRelay({ limits: { circuitsPerNode: 4 } });
});
after(async () => {
  for (const c of clients.values()) c.stop();
  await relay.close();
});

/** One client per identity: a second one would replace the first at the relay. */
async function client(label: string): Promise<RelayClient> {
  const existing = clients.get(label);
  if (existing) return existing;
  const c = await connectedClient(relay.url, await testIdentity(label));
  clients.set(label, c);
  return c;
}

test('two nodes exchange bytes both ways through a circuit, in order and intact', async () => {
  const a = await client('circ-a');
  const b = await client('circ-b');
  const incoming = nextIncoming(b);
  const ca = await a.openCircuit(b.nodeId, WAIT_MS);
  const cb = await incoming;
  assert.equal(ca.claimedPeerId, b.nodeId);
  assert.equal(cb.claimedPeerId, a.nodeId);
  assert.equal(ca.initiator, true);
  assert.equal(cb.initiator, false);
  assert.equal(cb.relayUrl, relay.url);

  // 64 frames of 16 KiB with distinct contents each way.
  const frames = Array.from({ length: 64 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
  const gotB: Uint8Array[] = [];
  const gotA: Uint8Array[] = [];
  cb.onFrame((f) => gotB.push(Uint8Array.from(f)));
  ca.onFrame((f) => gotA.push(Uint8Array.from(f)));
  for (const f of frames) ca.send(f);
  for (const f of frames) cb.send(f);
  await until('all frames', () => gotA.length === 64 && gotB.length === 64);
  assert.deepEqual(gotB, frames);
  assert.deepEqual(gotA, frames);
  assert.ok(
    relay.stats().bytesForwarded >= 2 * 64 * 16 * 1024,
    'relay.stats().bytesForwarded >= 2 * 64 * 16 * 1024',
  );

  const closed = within('B to see the close', new Promise<Error | undefined>((r) => cb.onClose(r)));
  ca.close('done here');
  const err = await closed;
  assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
  assert.match(err.message, /closed the relay circuit: done here/);
  assert.equal(ca.closed, true);
  assert.equal(ca.send(new Uint8Array(1)), false);
  await until('relay forgets the circuit', () => relay.stats().circuits === 0);
});

test('a circuit to a node that is not connected fails at once with PEER_OFFLINE', async () => {
  const a = await client('circ-a');
  const offline = (await testIdentity('circ-nobody')).fingerprint;
  await assert.rejects(a.openCircuit(offline, WAIT_MS), (err) => {
    assert.ok(isClawError(err, 'PEER_OFFLINE'), "isClawError(err, 'PEER_OFFLINE')");
    assert.equal(
      err.message,
      `peer ${abbreviateFingerprint(offline)} is not connected to relay ${relay.url}`,
    );
    return true;
  });
});

test('circuits end with PEER_DISCONNECTED when the other node leaves', async () => {
  const a = await client('circ-a');
  const c = await client('circ-c');
  const incoming = nextIncoming(c);
  const ca = await a.openCircuit(c.nodeId, WAIT_MS);
  await incoming;
  const closed = within('circuit close', new Promise<Error | undefined>((r) => ca.onClose(r)));
  c.stop();
  const err = await closed;
  assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
  assert.match(err.message, /disconnected from relay/);
});

test('circuitsPerNode refuses the extra circuit with RELAY_LIMIT and the others keep working', async () => {
  const a = await client('circ-limit-a');
  const b = await client('circ-limit-b');
  const open = [];
  for (let i = 0; i < 4; i++) open.push(await a.openCircuit(b.nodeId, WAIT_MS));
  await assert.rejects(a.openCircuit(b.nodeId, WAIT_MS), (err) => {
    assert.ok(isClawError(err, 'RELAY_LIMIT'), "isClawError(err, 'RELAY_LIMIT')");
    assert.match(err.message, /too many circuits/);
    return true;
  });
  for (const c of open) c.close();
  await exchange(a, b);
});

test('frames that arrive before the owner listens are kept and delivered in order', async () => {
  const a = await client('circ-early-a');
  const b = await client('circ-early-b');
  const incoming = nextIncoming(b);
  const ca = await a.openCircuit(b.nodeId, WAIT_MS);
  ca.send(Uint8Array.of(1));
  ca.send(Uint8Array.of(2));
  const cb = await incoming;
  // Listen only once both frames are held for b.
  assert.ok(cb instanceof RelayCircuit, 'a circuit over the relay');
  await until('both frames held before anyone listens', () => cb.heldBytes === 2);
  const got: number[] = [];
  cb.onFrame((f) => got.push(f[0]!));
  await until('early frames', () => got.length === 2);
  assert.deepEqual(got, [1, 2]);
  const echo = nextFrame(ca);
  cb.send(Uint8Array.of(3));
  assert.deepEqual([...(await echo)], [3]);
});

test('a node may open a circuit to itself; circuits are counted once and forgotten on disconnect', async () => {
  const self = await connectedClient(relay.url, await testIdentity('circ-self'));
  const base = relay.stats().circuits;
  const incoming = nextIncoming(self);
  const out = await self.openCircuit(self.nodeId, WAIT_MS);
  const back = await incoming;
  assert.equal(relay.stats().circuits, base + 1);
  const got = nextFrame(back);
  out.send(Uint8Array.of(42));
  assert.deepEqual([...(await got)], [42]);
  const second = await self.openCircuit(self.nodeId, WAIT_MS);
  await until('two circuits', () => relay.stats().circuits === base + 2);
  second.close();
  await until('one circuit', () => relay.stats().circuits === base + 1);
  self.stop();
  await until('none left', () => relay.stats().circuits === base);
});
