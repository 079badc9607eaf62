/**
 * The circuits a node's own relay carries for its peers, as live connections
 * (connections/relay-circuits.ts, relay/circuit-observer.ts): listed with both ends and their payload
 * bytes, not when this node is an end (its own links), and `close` cuts that circuit only — both ends
 * are told why, another circuit between the same nodes carries on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionTable } from '../../src-main/connections/connection-table.js';
import { relayCircuitLister } from '../../src-main/connections/relay-circuits.js';
import { isClawError } from '../../src-main/core/errors.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import {
  connectedClient,
  nextFrame,
  nextIncoming,
  startTestRelay,
  within,
  WAIT_MS,
} from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let relay: RelayServer;
const table = new ConnectionTable();
const clients: RelayClient[] = [];
let self: RelayClient;
let a: RelayClient;
let b: RelayClient;

before(async () => {
  const selfId = await testIdentity('rcc-self');
  const names = new Map<string, string>();
  relay = await startTestRelay({
    circuits: relayCircuitLister(table, selfId.fingerprint, (fp) => names.get(fp)),
  });
  self = await connectedClient(relay.url, selfId);
  a = await connectedClient(relay.url, await testIdentity('rcc-a'));
  b = await connectedClient(relay.url, await testIdentity('rcc-b'));
  clients.push(self, a, b);
  names.set(a.nodeId, 'alpha');
  names.set(b.nodeId, 'beta');
});
after(async () => {
  for (const c of clients) c.stop();
  await relay.close();
});

test('circuits between peers are listed with their bytes; closing one cuts it only', async () => {
  const incoming1 = nextIncoming(b);
  const first = await a.openCircuit(b.nodeId, WAIT_MS);
  const firstAtB = await incoming1;
  const incoming2 = nextIncoming(b);
  const second = await a.openCircuit(b.nodeId, WAIT_MS);
  const secondAtB = await incoming2;
  // This node's own circuit (its link to b) is not listed.
  const incoming3 = nextIncoming(b);
  await self.openCircuit(b.nodeId, WAIT_MS);
  await incoming3;

  const listed = table.list();
  assert.equal(listed.length, 2, JSON.stringify(listed));
  for (const c of listed) {
    assert.equal(c.kind, 'relay-circuit');
    assert.deepEqual(c.peer, { name: 'alpha', fingerprint: a.nodeId });
    assert.equal(c.from, 'alpha');
    assert.equal(c.to, 'beta');
  }
  const got = nextFrame(firstAtB);
  first.send(new Uint8Array(1000).fill(1));
  await got;
  const back = nextFrame(first);
  firstAtB.send(new Uint8Array(300).fill(2));
  await back;
  await until('bytes counted', () => table.list()[0]!.bytesOut === 1000 && table.list()[0]!.bytesIn === 300);

  const closedAtA = within('a to see the close', new Promise<Error | undefined>((r) => first.onClose(r)));
  const closedAtB = within('b to see the close', new Promise<Error | undefined>((r) => firstAtB.onClose(r)));
  table.close(listed[0]!.id, 'closed by the owner of this node');
  for (const err of [await closedAtA, await closedAtB]) {
    assert.ok(isClawError(err, 'LINK_CLOSED'), "isClawError(err, 'LINK_CLOSED')");
    assert.match(err.message, /closed by the owner of this node/);
  }
  assert.deepEqual(
    table.list().map((c) => c.id),
    [listed[1]!.id],
  );
  // The other circuit between the same two nodes carries on.
  const still = nextFrame(secondAtB);
  second.send(new Uint8Array([7]));
  assert.deepEqual(await still, new Uint8Array([7]));
  // An end closing its circuit takes it off the list.
  second.close('done');
  await until('the list empties', () => table.size === 0);
  assert.equal(relay.stats().circuits, 1, 'only this node’s own circuit is left');
});
