/**
 * Alias squatting on loopback (security review, low): rendezvous aliases and node IDs share OPEN's
 * target, and OPEN falls back to aliases when no node with that ID is connected. A node that LISTENs on
 * another node's ID would receive the circuits meant for it while it is offline, and learn who tried.
 * The relay refuses such LISTENs for node IDs it has seen lately and hands an ID back to its node when
 * the node registers. An ID never seen here can still be squatted by LISTEN by alias (the third test);
 * LISTEN_TAG and `untaggedListen: false` close that: test/integration/relay-listen-tag.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { isClawError } from '../../src-main/core/errors.js';
import { encodeRelayFrame } from '../../src-main/protocol/relay-frames.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, RawClient, startTestRelay, WAIT_MS } from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

let relay: RelayServer;
let joiner: RelayClient;
let squatter: RawClient;

before(async () => {
  relay = await startTestRelay();
  joiner = await connectedClient(relay.url, await testIdentity('sq-joiner'));
  squatter = await RawClient.connect(relay.url);
  await squatter.authenticate(await testIdentity('sq-squatter'));
  assert.equal((await squatter.next()).type, 'auth-ok');
});
after(async () => {
  joiner.stop();
  squatter.ws.close();
  await relay.close();
});

const listen = (alias: string, on = true) =>
  squatter.send(encodeRelayFrame({ type: 'listen', alias, listen: on }));
let probes = 0;

/**
 * LISTEN has no answer: listen on a fresh real alias after the others and wait until an OPEN to it
 * reaches the squatter, which proves the relay processed every LISTEN sent before it.
 */
async function settled(): Promise<void> {
  const probe = createHash('sha256').update(`squat probe ${probes++}`).digest('hex');
  const seen = incomings();
  listen(probe);
  await until('the probe alias to route', async () => {
    const c = await joiner.openCircuit(probe, 1000).catch(() => undefined);
    c?.close();
    return c !== undefined;
  });
  // The squatter's INCOMING travels on its own socket: wait for it too, so later counts are exact.
  await until('the probe circuit at the squatter', () => incomings() > seen);
  listen(probe, false);
}

const incomings = () => squatter.frames.filter((f) => f.type === 'incoming').length;

async function dropped(reason: string): Promise<number> {
  const m = new RegExp(`frames_dropped_total\\{reason="${reason}"\\} (\\d+)`).exec(await relay.metricsText());
  return m ? Number(m[1]) : 0;
}

/** OPEN to `target` from the joiner must find nobody: not the squatter. */
async function unreachable(target: string): Promise<void> {
  const before = incomings();
  await assert.rejects(joiner.openCircuit(target, WAIT_MS), (err) => isClawError(err, 'PEER_OFFLINE'));
  assert.equal(incomings(), before);
}

test('a LISTEN on the ID of a node that was here recently is ignored, so its callers never reach the squatter', async () => {
  const a = await connectedClient(relay.url, await testIdentity('sq-a'));
  a.stop();
  await until('A gone', () => relay.stats().nodes === 2);
  listen(a.nodeId);
  await settled();
  await unreachable(a.nodeId);
  assert.equal(await dropped('alias_is_node_id'), 1);
});

test('a LISTEN on the ID of a connected node is ignored, and stays so once the node leaves', async () => {
  const b = await connectedClient(relay.url, await testIdentity('sq-b'));
  listen(b.nodeId);
  await settled();
  assert.equal(await dropped('alias_is_node_id'), 2);
  b.stop();
  await until('B gone', () => relay.stats().nodes === 2);
  await unreachable(b.nodeId);
});

test('an alias equal to a node ID never seen here is dropped when that node registers', async () => {
  const cId = await testIdentity('sq-c');
  // The relay cannot tell this 32-byte value from a pairing alias yet: the LISTEN is accepted.
  listen(cId.fingerprint);
  await settled();
  const c = await connectedClient(relay.url, cId);
  await until('alias handed back', async () => (await dropped('alias_displaced_by_node')) === 1);
  c.stop();
  await until('C gone', () => relay.stats().nodes === 2);
  await unreachable(cId.fingerprint);
  // And the squatter cannot take it again: the ID is now a recently seen node.
  listen(cId.fingerprint);
  await settled();
  await unreachable(cId.fingerprint);
  assert.equal(await dropped('alias_is_node_id'), 3);
});
