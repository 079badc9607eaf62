import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describePeerAddress,
  describePeerState,
  BROWSER_RELAY_REASON,
  DIRECT_OFF_THERE_REASON,
  notOnlineError,
  notOnlineLine,
  NO_RELAY_DIRECT_OFF_DETAIL,
  NOTHING_TO_TRY_DETAIL,
  REFUSED_DETAIL,
  WAITING_DETAIL,
  type PeerStateFacts,
} from '../../../src-main/links/peer-state.js';
import { waitingLine } from '../../../src-main/state/pending.js';

const refusedAt = (address: string) => ({
  lastError: `direct connection to ${address} failed: connect ECONNREFUSED ${address}`,
  observed: { path: 'direct' as const, kind: 'refused' as const, address },
});
const timedOutAt = (address: string) => ({
  lastError: `direct connection to ${address} timed out`,
  observed: { path: 'direct' as const, kind: 'timed-out' as const, address },
});
const notOnRelay = { path: 'relay' as const, kind: 'not-on-relay' as const, relay: 'wss://r.example' };

const RELAY = 'wss://r.example';
const up = [{ url: RELAY, up: true }];
const FP = 'cd'.repeat(32);
const base = (over: Partial<PeerStateFacts> = {}): PeerStateFacts => ({
  now: 1_000_000,
  peer: { name: 'b', fingerprint: FP },
  direct: {},
  relay: {},
  relays: up,
  addressesKnown: 1,
  directOffHere: false,
  directOffThere: false,
  homeRelayKnown: true,
  ...over,
});

test('online: path and address in the detail; a relay path says why it is not direct', () => {
  const direct = describePeerState(base({ active: { path: 'direct', remote: '10.0.0.5:7475' } }));
  assert.deepEqual(direct, { state: 'online', stateDetail: 'direct 10.0.0.5:7475', relayReason: null });

  const relay = (over: Partial<PeerStateFacts>) =>
    describePeerState(base({ active: { path: 'relay', remote: 'wss://r.example' }, ...over })).relayReason;
  assert.equal(relay({ addressesKnown: 0 }), 'no direct address known');
  assert.equal(relay({ directOffHere: true }), 'direct turned off here');
  assert.equal(relay({ addressesKnown: 0, directOffThere: true }), DIRECT_OFF_THERE_REASON);
  // Restarted with `agent --no-direct`: its old address is still saved and the last dial to it failed,
  // but its hello now announces no listener — that is the reason, not the stale dial error.
  assert.equal(
    relay({
      addressesKnown: 1,
      directOffThere: true,
      direct: { lastError: 'connect ECONNREFUSED 127.0.0.1:40001', lastErrorAt: 1 },
    }),
    'they do not accept direct connections (their agent announces no listener)',
  );
  // A browser announces no listener either, but not for a setting of its agent: it cannot listen.
  assert.equal(relay({ addressesKnown: 0, directOffThere: true, browser: true }), BROWSER_RELAY_REASON);
  assert.equal(
    relay({ direct: { lastError: 'connect ECONNREFUSED 10.0.0.5:7475', lastErrorAt: 1 } }),
    'direct dial failed: connect ECONNREFUSED 10.0.0.5:7475',
  );
});

test('a hello refused as NOT_APPROVED means waiting, whatever the words', () => {
  const view = describePeerState(
    base({ refusal: { code: 'NOT_APPROVED', message: 'was removed by (a name chosen to confuse)', at: 10 } }),
  );
  assert.deepEqual(view, { state: 'waiting', stateDetail: WAITING_DETAIL, relayReason: null });
  const err = notOnlineError('b', view);
  assert.equal(err.code, 'PEER_OFFLINE');
  assert.equal(
    err.message,
    "peer b is waiting for their approval: its owner reviews this node's request among the pending requests there",
  );
  // The command is its owner's, on that node.
  assert.deepEqual(err.hint, { argv: ['pending'], where: 'peer' });
});

test('removed or rejected: decided by the refusal code, from a refused hello or a refused link', () => {
  const removed = 'node 1234abcd was removed by b; to connect again, pair with a new code from its owner';
  assert.equal(
    describePeerState(base({ refusal: { code: 'REMOVED', message: removed, at: 5 } })).state,
    'refused',
  );
  const dial = describePeerState(
    base({
      direct: {
        lastError: `127.0.0.1:7475 refused the link: ${removed}`,
        lastRefusal: 'REMOVED',
        lastErrorAt: 9,
      },
    }),
  );
  // Text alone decides nothing: a link error that only *says* "was removed by" is not a refusal.
  const text = describePeerState(
    base({
      direct: { lastError: `x refused the link: ${removed}`, lastErrorAt: 9 },
    }),
  );
  assert.notEqual(text.state, 'refused');
  assert.deepEqual(dial, { state: 'refused', stateDetail: REFUSED_DETAIL, relayReason: null });
  assert.match(notOnlineLine('b', dial), /^peer b is refused by them \(removed or rejected us\); pair again/);
});

test('a newer dial failure outranks an old refusal: the peer stopped answering since', () => {
  const view = describePeerState(
    base({
      refusal: { code: 'NOT_APPROVED', message: waitingLine('b'), at: 10 },
      direct: { ...refusedAt('127.0.0.1:7475'), lastErrorAt: 20 },
    }),
  );
  assert.deepEqual(view, {
    state: 'offline',
    stateDetail: 'its agent is not running — direct 127.0.0.1:7475: connection refused',
    relayReason: null,
  });
});

test('being removed outranks later dial failures: a stale address failing says nothing new', () => {
  const view = describePeerState(
    base({
      refusal: { code: 'REMOVED', message: 'removed', at: 10 },
      direct: { ...refusedAt('127.0.0.1:41489'), lastErrorAt: 20 },
      lostAt: 5,
    }),
  );
  assert.deepEqual(view, { state: 'refused', stateDetail: REFUSED_DETAIL, relayReason: null });
});

test('nothing to try: no relay up or down (none, or still connecting) and no usable direct address', () => {
  const connecting = [{ url: RELAY, up: false }];
  for (const over of [
    { addressesKnown: 0, relays: [] },
    { addressesKnown: 0, relays: connecting },
    { addressesKnown: 0, directOffHere: true, relays: [] },
  ]) {
    const view = describePeerState(base({ ...over, homeRelayKnown: false }));
    assert.deepEqual(view, { state: 'unreachable', stateDetail: NOTHING_TO_TRY_DETAIL, relayReason: null });
  }
  // An address is known, but direct links are off here: that is the reason, not a missing address.
  const off = describePeerState(
    base({ relays: [], addressesKnown: 1, directOffHere: true, homeRelayKnown: false }),
  );
  assert.deepEqual(off, { state: 'unreachable', stateDetail: NO_RELAY_DIRECT_OFF_DETAIL, relayReason: null });
});

test("a peer's home relay is something to try though this node is on no relay: the line says what it saw", () => {
  const home = 'wss://home.example';
  const down = { path: 'relay' as const, kind: 'relay-down' as const, relay: home };
  const tried = describePeerState(
    base({ relays: [], addressesKnown: 0, relay: { observed: down, lastError: 'x', lastErrorAt: 5 } }),
  );
  assert.notEqual(tried.stateDetail, NOTHING_TO_TRY_DETAIL);
  assert.match(tried.stateDetail ?? '', /relay wss:\/\/home\.example: cannot connect to it/);
  // Not dialed yet: nothing is claimed.
  const untried = describePeerState(base({ relays: [], addressesKnown: 0 }));
  assert.deepEqual(untried, { state: 'offline', stateDetail: null, relayReason: null });
});

test('offline: the relay says the peer is not connected, or nothing is known yet', () => {
  const notThere = { observed: notOnRelay, lastError: 'not there', lastErrorAt: 3 };
  const view = describePeerState(base({ relay: notThere }));
  assert.equal(view.state, 'offline');
  assert.equal(view.stateDetail, `its agent is not running, or it is not connected to relay ${RELAY}`);
  assert.match(notOnlineLine('b', view), /^peer b is offline \(/);
  // Never linked and no home relay known: it may simply live on another relay, and the line says how.
  const elsewhere = describePeerState(base({ homeRelayKnown: false, relay: notThere }));
  assert.match(elsewhere.stateDetail ?? '', /uses another relay: name that relay for it/);
  assert.deepEqual(elsewhere.stateHint, {
    argv: ['peers', 'add', FP, '--name', 'b', '--relay', 'URL'],
    where: 'here',
    flag: '--relay',
  });
  assert.deepEqual(describePeerState(base()), { state: 'offline', stateDetail: null, relayReason: null });
});

test('a killed agent on a direct link is not running, not a relay problem (issue 27)', () => {
  const view = describePeerState(
    base({
      homeRelayKnown: false,
      direct: { ...refusedAt('127.0.0.1:7475'), lastErrorAt: 4 },
      relay: { observed: notOnRelay, lastError: 'not there', lastErrorAt: 3 },
      lostAt: 2,
    }),
  );
  assert.equal(view.state, 'offline');
  assert.equal(
    view.stateDetail,
    `its agent is not running — direct 127.0.0.1:7475: connection refused; relay ${RELAY}: it is not connected there`,
  );
  assert.equal(view.stateHint, undefined, 'no relay to name: the peer is known to be down');
});

test('a direct failure at an address the peer no longer listens on, or with direct off here, says nothing', () => {
  const facts = {
    direct: { ...refusedAt('127.0.0.1:7475'), lastErrorAt: 4 },
    relays: [{ url: RELAY, up: false, downSince: 1_000_000 - 20_000 }],
  };
  for (const over of [{ directOffThere: true }, { directOffHere: true }]) {
    const view = describePeerState(base({ ...facts, ...over }));
    assert.match(
      view.stateDetail ?? '',
      /^waiting for relay wss:\/\/r\.example \(down since \d\d:\d\d:\d\d\)$/,
    );
  }
});

test('a peer that dialed us shows where it listens (its hello), and its ephemeral port as linkFrom', () => {
  const incoming = { path: 'direct' as const, remote: '10.0.0.5:53012', initiator: false };
  assert.deepEqual(describePeerAddress(incoming, ['10.0.0.5:7475', '192.168.1.4:7475']), {
    address: '10.0.0.5:7475',
    listenAddress: '10.0.0.5:7475',
    linkFrom: { dialedBy: 'peer', remote: '10.0.0.5:53012' },
  });
  // Before its hello arrives nothing says where it listens: no address rather than the wrong one.
  assert.equal(describePeerAddress(incoming, undefined).address, null);
});

test('a link we dialed: the dialed address is where the peer listens; relay shows the relay', () => {
  const outgoing = { path: 'direct' as const, remote: '192.168.1.4:7475', initiator: true };
  assert.deepEqual(describePeerAddress(outgoing, ['10.0.0.5:7475']), {
    address: '192.168.1.4:7475',
    listenAddress: '192.168.1.4:7475',
    linkFrom: { dialedBy: 'us', remote: '192.168.1.4:7475' },
  });
  const relay = { path: 'relay' as const, remote: 'wss://relay.example:7474', initiator: false };
  assert.deepEqual(describePeerAddress(relay, ['10.0.0.5:7475']), {
    address: 'wss://relay.example:7474',
    listenAddress: '10.0.0.5:7475',
    linkFrom: { dialedBy: 'peer', remote: 'wss://relay.example:7474' },
  });
  assert.deepEqual(describePeerAddress(undefined, []), {
    address: null,
    listenAddress: null,
    linkFrom: null,
  });
});

test('a peer that was linked and is gone is offline, even while dials to it fail; one never reached is unreachable', () => {
  const refused = { ...timedOutAt('10.0.0.5:7475'), lastErrorAt: 20 };
  assert.deepEqual(describePeerState(base({ direct: refused, lostAt: 10 })), {
    state: 'offline',
    stateDetail:
      'link lost; no answer at 10.0.0.5:7475: its machine is off or asleep, or a firewall drops the connection',
    relayReason: null,
  });
  assert.equal(describePeerState(base({ direct: refused })).state, 'unreachable');
  // A refusal still wins: the peer answered.
  const refusal = { code: 'REMOVED' as const, message: 'removed', at: 30 };
  assert.equal(describePeerState(base({ direct: refused, lostAt: 10, refusal })).state, 'refused');
});
