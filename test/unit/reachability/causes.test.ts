/**
 * docs/reachability.md, table "Causes": one test per row, in the table's order; and the detail text of
 * every observation (table "Observations", last column).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clockTime,
  explainUnreachable,
  observationText,
  REJOIN_GRACE_MS,
  type ReachFacts,
} from '../../../src-main/reachability/causes.js';
import type { DirectObservation, RelayObservation } from '../../../src-main/reachability/observation.js';

const NOW = Date.UTC(2026, 0, 5, 14, 3, 27);
const R = 'wss://r.example';
const ADDR = '10.0.0.5:7475';
const FP = 'ab'.repeat(32);
const facts = (over: Partial<ReachFacts> = {}): ReachFacts => ({
  now: NOW,
  peer: { name: 'lab box', fingerprint: FP },
  relays: [{ url: R, up: true }],
  homeRelayKnown: true,
  lost: false,
  ...over,
});
const direct = (kind: 'refused' | 'timed-out' | 'pin-mismatch' | 'no-route'): DirectObservation => ({
  path: 'direct',
  kind,
  address: ADDR,
});
const notOnRelay: RelayObservation = { path: 'relay', kind: 'not-on-relay', relay: R };
const relayDown: RelayObservation = { path: 'relay', kind: 'relay-down', relay: R };
const downFor20s = [{ url: R, up: false, downSince: NOW - 20_000 }];

test('observation texts: one per row of the Observations table', () => {
  const rows: [
    DirectObservation | RelayObservation | { path: 'route'; kind: 'error'; message: string },
    string,
  ][] = [
    [direct('refused'), `direct ${ADDR}: connection refused`],
    [direct('timed-out'), `direct ${ADDR}: no answer (timed out)`],
    [direct('pin-mismatch'), `direct ${ADDR}: another certificate answered (TLS pin mismatch)`],
    [
      {
        path: 'direct',
        address: ADDR,
        kind: 'peer-refused',
        refusal: 'REMOVED',
        message: `${ADDR} refused the link: x`,
      },
      `direct: ${ADDR} refused the link: x`,
    ],
    [{ path: 'direct', address: ADDR, kind: 'error', message: 'm' }, 'direct: m'],
    [relayDown, `relay ${R}: cannot connect to it`],
    [notOnRelay, `relay ${R}: it is not connected there`],
    [
      { path: 'relay', relay: R, kind: 'relay-refused', message: `relay ${R}: access token rejected` },
      `relay ${R}: access token rejected`,
    ],
    [
      { path: 'relay', relay: R, kind: 'peer-refused', refusal: 'NOT_APPROVED', message: 'p refused' },
      'p refused',
    ],
    [{ path: 'relay', relay: R, kind: 'error', message: 'handshake failed' }, `relay ${R}: handshake failed`],
    [{ path: 'route', kind: 'error', message: 'hop c refused' }, 'route: hop c refused'],
  ];
  for (const [o, text] of rows) assert.equal(observationText(o), text);
});

test('row 1: a peer that answered no is waiting or refused, whatever else was seen', () => {
  const said = (refusal: 'NOT_APPROVED' | 'REMOVED' | 'BAD_REQUEST'): RelayObservation => ({
    path: 'relay',
    relay: R,
    kind: 'peer-refused',
    refusal,
    message: 'node x refused: nope',
  });
  const seen = { direct: direct('refused'), relays: downFor20s };
  assert.deepEqual(explainUnreachable(facts({ ...seen, relay: said('NOT_APPROVED') })), {
    state: 'waiting',
    detail: 'waiting for their approval',
  });
  assert.deepEqual(explainUnreachable(facts({ ...seen, relay: said('REMOVED') })), {
    state: 'refused',
    detail: 'refused by them (removed or rejected us)',
  });
  assert.deepEqual(explainUnreachable(facts({ relay: said('BAD_REQUEST') })), {
    state: 'refused',
    detail: 'refused by them: node x refused: nope',
  });
});

test('row 2: direct refused is "not running", before what the relay says, an outage named too', () => {
  assert.deepEqual(
    explainUnreachable(facts({ direct: direct('refused'), relay: notOnRelay, homeRelayKnown: false })),
    {
      state: 'offline',
      detail: `its agent is not running — direct ${ADDR}: connection refused; relay ${R}: it is not connected there`,
    },
  );
  assert.deepEqual(
    explainUnreachable(facts({ direct: direct('refused'), relay: relayDown, relays: downFor20s })),
    {
      state: 'offline',
      detail: `its agent is not running, and relay ${R} is down since ${clockTime(NOW - 20_000)} — direct ${ADDR}: connection refused`,
    },
  );
});

test('row 3: a relay outage is waiting for the relay: the one the circuit failed at, or the only ones', () => {
  const since = clockTime(NOW - 20_000);
  // Observed by the circuit: named even while another relay is up.
  const other = { url: 'wss://other.example', up: true };
  assert.deepEqual(explainUnreachable(facts({ relay: relayDown, relays: [other, ...downFor20s] })), {
    state: 'unreachable',
    detail: `waiting for relay ${R} (down since ${since})`,
  });
  // Not observed yet (the circuit still waits for the relay), but every relay there is, is down.
  assert.deepEqual(explainUnreachable(facts({ relays: downFor20s, direct: direct('timed-out') })), {
    state: 'unreachable',
    detail: `waiting for relay ${R} (down since ${since}) — direct ${ADDR}: no answer (timed out)`,
  });
  // An old "not on the relay" from before the outage does not make it "not running".
  assert.equal(explainUnreachable(facts({ relays: downFor20s, relay: notOnRelay }))?.state, 'unreachable');
  // Another relay up, and this one's circuit not failed on the outage: not the cause.
  assert.equal(explainUnreachable(facts({ relays: [other, ...downFor20s] })), undefined);
});

test('row 3a: a relay that refuses this node is not down: its refusal is the cause', () => {
  const refusal = `relay ${R}: too many connections from this address — its operator can raise the limit`;
  const refusing = [{ url: R, up: false, downSince: NOW - 20_000, refusal }];
  // Every relay there is refuses: said in the relay's words, not "waiting for relay … (down since …)".
  assert.deepEqual(explainUnreachable(facts({ relays: refusing, direct: direct('timed-out') })), {
    state: 'unreachable',
    detail: `${refusal} — direct ${ADDR}: no answer (timed out)`,
  });
  // The circuit failed at it: its own observation is not said twice.
  assert.deepEqual(explainUnreachable(facts({ relays: refusing, relay: relayDown })), {
    state: 'unreachable',
    detail: refusal,
  });
  // Another relay up, and the circuit did not fail at this one: not the cause.
  const other = { url: 'wss://other.example', up: true };
  assert.equal(explainUnreachable(facts({ relays: [other, ...refusing] })), undefined);
});

test('row 4: a relay back a moment ago: the peer is still reconnecting to it', () => {
  const back = [{ url: R, up: true, backAt: NOW - 2_000 }];
  assert.deepEqual(explainUnreachable(facts({ relay: notOnRelay, relays: back })), {
    state: 'unreachable',
    detail: `waiting for it to reconnect to relay ${R} (back since ${clockTime(NOW - 2_000)})`,
  });
  // Long enough after: its agent is not coming.
  const longAgo = [{ url: R, up: true, backAt: NOW - REJOIN_GRACE_MS }];
  assert.equal(explainUnreachable(facts({ relay: notOnRelay, relays: longAgo }))?.state, 'offline');
  // Linked again after the relay came back, and lost since: it did reconnect; now it is gone.
  const relinked = facts({ relay: notOnRelay, relays: back, lost: true, lostAt: NOW - 1_000 });
  assert.equal(explainUnreachable(relinked)?.state, 'offline');
  assert.doesNotMatch(explainUnreachable(relinked)?.detail ?? '', /reconnect/);
});

test('row 5: the relay is up and does not see it: not running, or not on that relay', () => {
  assert.deepEqual(explainUnreachable(facts({ relay: notOnRelay })), {
    state: 'offline',
    detail: `its agent is not running, or it is not connected to relay ${R}`,
  });
  // With a direct try that had no answer, that goes after.
  assert.deepEqual(explainUnreachable(facts({ relay: notOnRelay, direct: direct('timed-out') })), {
    state: 'offline',
    detail: `its agent is not running, or it is not connected to relay ${R} — direct ${ADDR}: no answer (timed out)`,
  });
});

test('row 5b: never linked and its relay not known: it may use another relay, and the hint names the flag', () => {
  // The hint is the peer's own command: only the relay, which this node cannot know, is left to fill in.
  assert.deepEqual(explainUnreachable(facts({ relay: notOnRelay, homeRelayKnown: false })), {
    state: 'offline',
    detail:
      "it is on none of this node's relays: its agent is not running, or it uses another relay: name that relay for it",
    hint: {
      argv: ['peers', 'add', FP, '--name', 'lab box', '--relay', 'URL'],
      where: 'here',
      flag: '--relay',
    },
  });
});

test('row 4a: no route to its address: reach it through a peer (peers route), not another address', () => {
  // Issue 52: after `peers route c --clear`, the line was Node's `connect ENETUNREACH … - Local
  // (0.0.0.0:0)` and pointed at `peers add`.
  for (const relay of [undefined, notOnRelay]) {
    const cause = explainUnreachable(facts({ direct: direct('no-route'), relay, homeRelayKnown: false }));
    assert.deepEqual(cause, {
      state: 'unreachable',
      detail: `this machine has no route to ${ADDR}: reach it through a peer that can, or a relay both nodes share${relay ? ` — relay ${R}: it is not connected there` : ''}`,
      // The peer is named; only the hop, which this node cannot know, is left to fill in.
      hint: { argv: ['peers', 'route', 'lab box', '--via', 'HOP'], where: 'here', flag: '--via' },
    });
  }
  assert.equal(observationText(direct('no-route')), `direct ${ADDR}: no route to it from this machine`);
});

test('row 6: another certificate at its address', () => {
  assert.deepEqual(explainUnreachable(facts({ direct: direct('pin-mismatch') })), {
    state: 'unreachable',
    detail: `another node answers at ${ADDR}`,
  });
});

test('row 7: the relay refuses this node: its words', () => {
  const message = `relay ${R}: access token rejected — check --relay-token`;
  const relay: RelayObservation = { path: 'relay', relay: R, kind: 'relay-refused', message };
  assert.deepEqual(explainUnreachable(facts({ relay, direct: direct('timed-out') })), {
    state: 'unreachable',
    detail: `${message} — direct ${ADDR}: no answer (timed out)`,
  });
});

test('row 8: no answer at its address; after a lost link, offline', () => {
  const cause = `no answer at ${ADDR}: its machine is off or asleep, or a firewall drops the connection`;
  assert.deepEqual(explainUnreachable(facts({ direct: direct('timed-out') })), {
    state: 'unreachable',
    detail: cause,
  });
  assert.deepEqual(explainUnreachable(facts({ direct: direct('timed-out'), lost: true })), {
    state: 'offline',
    detail: `link lost; ${cause}`,
  });
});

test('row 9: only errors: the newest path first', () => {
  const d: DirectObservation = { path: 'direct', address: ADDR, kind: 'error', message: 'EHOSTUNREACH' };
  const r: RelayObservation = { path: 'relay', relay: R, kind: 'error', message: 'handshake failed' };
  assert.deepEqual(explainUnreachable(facts({ direct: d, relay: r, newest: 'direct' })), {
    state: 'unreachable',
    detail: `direct: EHOSTUNREACH — relay ${R}: handshake failed`,
  });
  assert.deepEqual(explainUnreachable(facts({ direct: d, relay: r, newest: 'relay', lost: true })), {
    state: 'offline',
    detail: `link lost; relay ${R}: handshake failed — direct: EHOSTUNREACH`,
  });
});

test('nothing observed: no cause', () => {
  assert.equal(explainUnreachable(facts()), undefined);
});
