/**
 * Circuit exhaustion on loopback (security review, medium): one relay connection tries to hold every
 * circuit a target may have (circuitsPerNode counts circuits opened *to* a node too) so nobody else can
 * reach it. The relay caps circuits per (opener, target) pair; the target agent closes circuits that do
 * not complete the E2E handshake within its deadline.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { RELAY_LINK_TIMEOUT_MS } from '../../src-main/links/path-dialers.js';
import { HandshakeInitiator } from '../../src-main/crypto/e2e-handshake.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { encodeRelayFrame, type RelayFrame } from '../../src-main/protocol/relay-frames.js';
import { DEFAULT_RELAY_LIMITS } from '../../src-main/protocol/relay-limits.js';
import type { RelayServer } from '../../src-main/relay/server.js';
import type { Circuit } from '../../src-main/transport/circuit.js';
import type { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { connectedClient, exchange, RawClient, startTestRelay } from '../helpers/relay-harness.js';
import { until } from '../helpers/wait.js';

const { circuitsPerNode, circuitsPerPair } = DEFAULT_RELAY_LIMITS;
let relay: RelayServer;

before(async () => {
  // Default limits: the attack is against the relay as deployed.
  relay = await startTestRelay();
});
after(() => relay.close());
after(stopAll);

/** An authenticated raw client: it speaks frames by hand, as an attacker would. */
async function attacker(label: string): Promise<RawClient> {
  const raw = await RawClient.connect(relay.url);
  await raw.authenticate(await testIdentity(label));
  assert.equal((await raw.next()).type, 'auth-ok');
  return raw;
}

/** Sends OPEN for each id and returns the relay's answer (OPEN_OK or CLOSE) to each, by id. */
async function openAll(raw: RawClient, target: string, ids: number[]): Promise<Map<number, RelayFrame>> {
  for (const circuitId of ids) raw.send(encodeRelayFrame({ type: 'open', circuitId, target }));
  const answers = new Map<number, RelayFrame>();
  while (answers.size < ids.length) {
    const f = await raw.next();
    if ((f.type === 'open-ok' || f.type === 'close') && ids.includes(f.circuitId))
      answers.set(f.circuitId, f);
  }
  return answers;
}

/** Collects the circuits the relay hands to `client`, so the test can close them as an agent would. */
function incomingOf(client: RelayClient): Circuit[] {
  const got: Circuit[] = [];
  client.on('incoming', (c) => got.push(c));
  return got;
}

test('one node cannot hold more than circuitsPerPair circuits to a target; a third node still gets through', async () => {
  const a = await connectedClient(relay.url, await testIdentity('exh-a'));
  const atA = incomingOf(a);
  const raw = await attacker('exh-attacker');

  // The attack: ask for the whole of A's budget, as the old relay granted.
  const ids = Array.from({ length: circuitsPerNode }, (_, i) => i + 1);
  const answers = [...(await openAll(raw, a.nodeId, ids)).values()];

  // A third node still reaches A, both ways.
  const c = await connectedClient(relay.url, await testIdentity('exh-c'));
  await exchange(c, a);

  const accepted = answers.filter((f) => f.type === 'open-ok');
  const refused = answers.filter((f) => f.type === 'close');
  assert.equal(accepted.length, circuitsPerPair);
  assert.equal(refused.length, circuitsPerNode - circuitsPerPair);
  for (const f of refused) {
    assert.ok(f.type === 'close', "f.type === 'close'");
    assert.equal(f.code, RelayCloseCode.TOO_MANY_CIRCUITS_TO_PEER);
    assert.equal(f.reason, `too many circuits to this peer (limit ${circuitsPerPair} per pair)`);
  }
  assert.match(
    await relay.metricsText(),
    new RegExp(`frames_dropped_total\\{reason="too_many_circuits_to_peer"\\} ${refused.length}`),
  );
  assert.ok(circuitsPerPair * 16 <= circuitsPerNode, 'filling a target takes at least 16 node IDs');

  // A closes the attacker's circuits (as its handshake deadline does); the attacker may reopen that
  // many and no more: the limit is on circuits open at once, per pair.
  await until('A saw the attacker circuits', () => atA.length >= circuitsPerPair);
  for (const circuit of atA.splice(0, circuitsPerPair)) circuit.close('no handshake');
  await until('the relay forgot them', () => relay.stats().circuits === 0);
  const again = Array.from({ length: circuitsPerPair + 1 }, (_, i) => 10_000 + i);
  const second = [...(await openAll(raw, a.nodeId, again)).values()];
  assert.equal(second.filter((f) => f.type === 'open-ok').length, circuitsPerPair);
  const extra = second.find((f) => f.type === 'close');
  assert.ok(
    extra?.type === 'close' && extra.code === RelayCloseCode.TOO_MANY_CIRCUITS_TO_PEER,
    "extra?.type === 'close' && extra.code === RelayCloseCode.TOO_MANY_CIRCUITS_TO_PEER",
  );
  await exchange(c, a);

  // The opener closing its own circuit frees its slot too.
  raw.send(encodeRelayFrame({ type: 'close', circuitId: 10_000, code: 1000, reason: '' }));
  const third = await openAll(raw, a.nodeId, [20_000]);
  assert.equal(third.get(20_000)?.type, 'open-ok');

  raw.ws.close();
  a.stop();
  c.stop();
  await until('all circuits gone', () => relay.stats().circuits === 0);
});

test('the pair limit is per target: the same opener still reaches other nodes, and A can open back', async () => {
  const a = await connectedClient(relay.url, await testIdentity('exh-a2'));
  const b = await connectedClient(relay.url, await testIdentity('exh-b2'));
  const raw = await attacker('exh-attacker2');
  const ids = Array.from({ length: circuitsPerPair + 1 }, (_, i) => i + 1);
  const toA = [...(await openAll(raw, a.nodeId, ids)).values()];
  assert.equal(toA.filter((f) => f.type === 'open-ok').length, circuitsPerPair);
  const toB = await openAll(raw, b.nodeId, [100]);
  assert.equal(toB.get(100)?.type, 'open-ok', 'another target is a separate pair');
  // Circuits the target opens towards the attacker are the target's own pair, not the attacker's.
  const back = await a.openCircuit((await testIdentity('exh-attacker2')).fingerprint, 5_000);
  back.close();
  raw.ws.close();
  a.stop();
  b.stop();
});

test('the target agent closes relay circuits that never finish the E2E handshake', async (t) => {
  const identity = await testIdentity('exh-agent');
  const running = await startAgent(tempHome('exh-agent'), {
    inProcess: {
      identity,
      overrides: {
        relays: [{ url: relay.url }],
        listen: null,
        lan: false,
        ui: { listen: null, allowRemote: false },
      },
      logger: pino({ level: 'silent' }),
      notice: () => undefined,
    },
  });
  t.after(() => running.stop());
  const { agent } = running;
  await until('agent on the relay', () => agent.relays.clients()[0]?.state === 'connected');

  const attackerId = await testIdentity('exh-attacker3');
  const raw = await attacker('exh-attacker3');
  const opened = await openAll(raw, identity.fingerprint, [1, 2]);
  assert.equal(opened.get(1)?.type, 'open-ok');
  assert.equal(opened.get(2)?.type, 'open-ok');
  const started = Date.now();
  // Circuit 1 sends nothing; circuit 2 sends a valid first handshake message and then nothing.
  const hs = new HandshakeInitiator({ identity: attackerId, expectedPeer: identity.fingerprint });
  raw.send(encodeRelayFrame({ type: 'data', circuitId: 2, payload: hs.start() }));

  const closedAt = new Map<number, number>();
  // How late after its deadline a timer fires is a loaded machine's: up to a deadline more.
  const slack = RELAY_LINK_TIMEOUT_MS;
  await until(
    'the agent to close both circuits',
    () => {
      for (const f of raw.frames) {
        if (f.type === 'close' && !closedAt.has(f.circuitId)) closedAt.set(f.circuitId, Date.now() - started);
      }
      return closedAt.size === 2;
    },
    RELAY_LINK_TIMEOUT_MS + slack,
  );
  for (const [id, ms] of closedAt) {
    assert.ok(
      ms >= RELAY_LINK_TIMEOUT_MS - 500,
      `circuit ${id} closed by the deadline, not sooner (${ms} ms)`,
    );
    assert.ok(ms <= RELAY_LINK_TIMEOUT_MS + slack, `circuit ${id} closed after ${ms} ms`);
  }
  assert.ok(
    raw.frames.some((f) => f.type === 'data' && f.circuitId === 2),
    'the agent answered msg1',
  );
  await until('the relay forgot them', () => relay.stats().circuits === 0);
  raw.ws.close();
});
