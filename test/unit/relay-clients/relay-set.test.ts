/**
 * RelaySet's on-demand relays against a real relay on loopback: acquired without being saved, kept
 * while circuits run through them, dropped once idle; saved relays never dropped; dialRelayPath falls
 * back to a peer's home relay when no relay of this node reaches it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import {
  dialRelayPath,
  type RelayCircuitDeps,
  acceptRelayCircuit,
} from '../../../src-main/links/path-dialers.js';
import {
  ON_DEMAND_RELAY_IDLE_MS,
  RELAY_IDLE_ENV,
  RelaySet,
  relayIdleMsFrom,
  type RelaySetDeps,
} from '../../../src-main/relay-clients/relay-set.js';
import { isClawError } from '../../../src-main/core/errors.js';
import type { Identity } from '../../../src-main/crypto/identity.js';
import type { RelayServer } from '../../../src-main/relay/server.js';
import type { Circuit } from '../../../src-main/transport/circuit.js';
import type { Link } from '../../../src-main/transport/link.js';
import { testIdentity } from '../../helpers/identities.js';
import { connectedClient, startTestRelay, WAIT_MS } from '../../helpers/relay-harness.js';
import { until, sleep } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

/** Idle time used here, in ms: short, but well above a circuit's setup on loopback on a busy machine. */
const IDLE_MS = 1000;

const servers: RelayServer[] = [];
const sets: RelaySet[] = [];
after(async () => {
  for (const s of sets) s.stopAll();
  await Promise.all(servers.map((s) => s.close()));
});

async function relay(): Promise<RelayServer> {
  const server = await startTestRelay();
  servers.push(server);
  return server;
}

function newSet(identity: Identity, onIncoming: (c: Circuit) => void = (c) => c.close()): RelaySet {
  const deps: RelaySetDeps = {
    identity,
    log: pino({ level: 'silent' }),
    onState: () => undefined,
    onError: () => undefined,
    onIncoming,
  };
  const set = new RelaySet(deps, { idleMs: IDLE_MS, retryDelayMs: () => 50 });
  sets.push(set);
  return set;
}

test('an acquired relay with no circuit is dropped after the idle time; a saved one stays', async () => {
  const r1 = await relay();
  const r2 = await relay();
  const set = newSet(await testIdentity('set-a'));
  set.add(r1.url);
  const onDemand = set.acquire(r2.url);
  // Its states as they come: polled, a connection that was dropped for idleness before the poll looked
  // would never be seen connected.
  const states: string[] = [];
  onDemand.on('state', (state) => states.push(state));
  assert.equal(set.acquire(r2.url), onDemand, 'a second acquire shares the client');
  assert.deepEqual(
    set.list().map((c) => c.url),
    [r1.url, r2.url],
  );
  assert.equal(set.isOnDemand(r2.url), true);
  assert.equal(set.isOnDemand(r1.url), false);
  await until('the on-demand relay to connect', () => states.includes('connected'));
  await until('the idle on-demand relay to be dropped', () => !set.has(r2.url), IDLE_MS + WAIT_MS);
  assert.equal(onDemand.state, 'disconnected', 'its connection was closed');
  await sleep(IDLE_MS * 2, 'twice the idle time: a saved relay must stay');
  assert.equal(set.has(r1.url), true, 'a saved relay is never dropped');
});

test('an on-demand relay is kept while a circuit runs through it, then dropped when idle', async () => {
  const r = await relay();
  const peer = await connectedClient(r.url, await testIdentity('set-peer'));
  after(() => peer.stop());
  const set = newSet(await testIdentity('set-b'));
  const client = set.acquire(r.url);
  const circuit = await client.openCircuit(peer.nodeId, WAIT_MS);
  await sleep(IDLE_MS * 3, 'three idle times: an open circuit must keep the relay');
  assert.equal(set.has(r.url), true, 'an open circuit keeps the relay');
  assert.equal(client.state, 'connected');
  circuit.close('done');
  await until('the relay to be dropped once idle', () => !set.has(r.url), IDLE_MS + WAIT_MS);
});

test('incoming circuits count too, and saving an on-demand relay keeps it for good', async () => {
  const r = await relay();
  const peer = await connectedClient(r.url, await testIdentity('set-peer2'));
  after(() => peer.stop());
  const incoming: Circuit[] = [];
  const identity = await testIdentity('set-c');
  const set = newSet(identity, (c) => incoming.push(c));
  const client = set.acquire(r.url);
  await until('connected', () => client.state === 'connected');
  const opened = await peer.openCircuit(identity.fingerprint, WAIT_MS);
  await until('the circuit to arrive', () => incoming.length === 1);
  await sleep(IDLE_MS * 3, 'three idle times: an incoming circuit must keep the relay');
  assert.equal(set.has(r.url), true, 'an incoming circuit keeps the relay');
  opened.close('done');
  set.add(r.url); // the user saves it meanwhile
  assert.equal(set.isOnDemand(r.url), false);
  assert.equal(set.list()[0], client, 'the same client, not a second connection');
  await sleep(IDLE_MS * 3, 'three idle times: a saved relay must stay');
  assert.equal(set.has(r.url), true, 'a saved relay is not dropped when idle');
});

test('dialRelayPath reaches a peer on its home relay when no relay of ours has it', async () => {
  const r1 = await relay();
  const r2 = await relay();
  const idA = await testIdentity('dial-a');
  const idB = await testIdentity('dial-b');
  const links: Link[] = [];
  // B is on r2 only and accepts A's link the way the agent does.
  const hostB: RelayCircuitDeps = {
    identity: idB,
    log: pino({ level: 'silent' }),
    admit: () => undefined,
    attach: (l) => links.push(l),
    pairing: { acceptPairing: () => Promise.resolve() },
  };
  const setB = newSet(idB, (c) => {
    acceptRelayCircuit(hostB, c).catch(failTest('acceptRelayCircuit'));
  });
  setB.add(r2.url);
  const setA = newSet(idA);
  setA.add(r1.url);
  await until('both on their relays', () =>
    [...setA.list(), ...setB.list()].every((c) => c.state === 'connected'),
  );

  await assert.rejects(
    dialRelayPath(idA, setA, { fingerprint: idB.fingerprint }),
    (err) => isClawError(err, 'PEER_OFFLINE'),
    'without a home relay only our own relays are tried',
  );
  assert.equal(setA.has(r2.url), false);

  const link = await dialRelayPath(idA, setA, {
    fingerprint: idB.fingerprint,
    homeRelay: { url: r2.url },
  });
  assert.ok(link, 'link');
  assert.equal(link.remote, r2.url, 'the link names the relay it runs through');
  assert.equal(link.peerId, idB.fingerprint);
  await until('B to get the link', () => links.length === 1);
  assert.equal(setA.isOnDemand(r2.url), true);
  link.close('done');
  await until('the home relay dropped once idle', () => !setA.has(r2.url), IDLE_MS + WAIT_MS);
  assert.equal(setA.has(r1.url), true);
});

test('the idle time comes from CLAWBRIDGE_RELAY_IDLE_MS within bounds, else the default', () => {
  assert.equal(relayIdleMsFrom({}), ON_DEMAND_RELAY_IDLE_MS);
  assert.equal(relayIdleMsFrom({ [RELAY_IDLE_ENV]: '2500' }), 2500);
  for (const bad of ['99', '1.5', 'soon', '-1', String(25 * 3600 * 1000)]) {
    assert.throws(
      () => relayIdleMsFrom({ [RELAY_IDLE_ENV]: bad }),
      (err) =>
        isClawError(err, 'BAD_ARGUMENT') &&
        /CLAWBRIDGE_RELAY_IDLE_MS must be a whole number/.test(err.message),
      bad,
    );
  }
});

test('an on-demand relay that cannot connect with its pin starts over with the pin asked for next', async () => {
  const cert = await testIdentity('set-tls-relay');
  const server = await startTestRelay({ tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
  servers.push(server);
  const set = newSet(await testIdentity('set-pin'));
  const wrong = (await testIdentity('set-wrong-pin')).fingerprint;
  // A bad invite's pin, then (or no pin, then) the one the user saved: the second acquire must use it.
  const first = set.acquire(server.url, wrong);
  await sleep(200, 'the bad pin must not connect within this window');
  assert.notEqual(first.state, 'connected');
  const second = set.acquire(server.url, cert.fingerprint);
  assert.notEqual(second, first, 'a new client, with the new pin');
  await until('the relay to connect with the right pin', () => second.state === 'connected');
  // Connected, it keeps its pin: another caller's different pin does not tear it down.
  assert.equal(set.acquire(server.url, wrong), second);
  assert.equal(set.acquire(server.url), second);
});

test('one relay spelled two ways (a trailing slash) is one member: a peer’s home relay reuses the saved connection', async () => {
  const r = await relay();
  const set = newSet(await testIdentity('set-slash'));
  set.add(`${r.url}/`);
  const saved = set.list()[0]!;
  assert.equal(set.acquire(r.url), saved);
  assert.equal(set.isOnDemand(r.url), false);
  assert.equal(set.list().length, 1);
});

/** A wss:// relay with its own certificate, and a second URL for it (another loopback address). */
async function pinnedRelay(label: string): Promise<{ url: string; other: string; pin: string }> {
  const cert = await testIdentity(label);
  const server = await startTestRelay({ tls: { certPem: cert.certPem, keyPem: cert.keyPem } });
  servers.push(server);
  const { port } = new URL(server.url);
  return { url: server.url, other: `wss://127.0.0.2:${port}`, pin: cert.fingerprint };
}

test('one relay under two URLs, pinned to one certificate, is one member: its client is shared', async () => {
  const r = await pinnedRelay('set-2url-relay');
  const errors: string[] = [];
  const set = new RelaySet(
    {
      identity: await testIdentity('set-2url'),
      log: pino({ level: 'silent' }),
      onState: () => undefined,
      onError: (_url, err) => errors.push(err.message),
      onIncoming: (c) => c.close(),
    },
    { idleMs: IDLE_MS, retryDelayMs: () => 50 },
  );
  sets.push(set);
  set.add(r.url, r.pin);
  const saved = set.list()[0]!;
  // A peer's home relay: the same relay under another URL, its pin in another spelling.
  assert.equal(set.acquire(r.other, r.pin.toUpperCase()), saved);
  assert.equal(set.list().length, 1, 'no second connection with this identity');
  // Saved under the other URL too (both given to --relay): still one connection.
  set.add(r.other, r.pin);
  assert.equal(set.list().length, 1);
  await until('connected', () => saved.state === 'connected');
  await sleep(300, 'nothing may knock it off within this window');
  assert.equal(saved.state, 'connected', 'not knocked off by a second connection');
  assert.deepEqual(errors, []);
  // Without a pin nothing says it is the same relay: a peer's URL is a relay of its own.
  const unpinned = set.acquire(r.other);
  assert.notEqual(unpinned, saved);
  set.remove(r.other);
});

test("a relay saved under one URL replaces the peer's URL for it, used on demand until then", async () => {
  const r = await pinnedRelay('set-2url-save-relay');
  const set = newSet(await testIdentity('set-2url-save'));
  const onDemand = set.acquire(r.other, r.pin);
  set.add(r.url, r.pin);
  assert.equal(onDemand.state, 'disconnected', "the peer's URL is dropped");
  assert.deepEqual(
    set.list().map((c) => c.url),
    [r.url],
  );
  assert.equal(set.isOnDemand(r.url), false);
  await until('the saved URL connects', () => set.list()[0]!.state === 'connected');
});

test('dialRelayPath: a home relay that is a relay of ours under another URL is not dialed again', async () => {
  const r = await pinnedRelay('dial-2url-relay');
  const idA = await testIdentity('dial-2url-a');
  const idB = await testIdentity('dial-2url-b');
  const setA = newSet(idA);
  setA.add(r.url, r.pin);
  await until('A on its relay', () => setA.list()[0]!.state === 'connected');
  await assert.rejects(
    dialRelayPath(idA, setA, {
      fingerprint: idB.fingerprint,
      homeRelay: { url: r.other, fingerprint: r.pin },
    }),
    (err) => isClawError(err, 'PEER_OFFLINE'),
  );
  assert.deepEqual(
    setA.list().map((c) => c.url),
    [r.url],
    'no on-demand client for the same relay',
  );
});
