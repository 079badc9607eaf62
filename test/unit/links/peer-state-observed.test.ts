/**
 * A peer's state line judges it by what this node knows, saved or observed (peer-api.ts peerStateView,
 * observations.ts): addresses learned from hellos and a home relay heard in one are not in its record
 * in config.json, yet they are known. Before, a peer whose agent was killed read as "not connected to
 * relay …" instead of "not running — direct …: connection refused", its learned address unseen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerStateView, type PeerStateSource } from '../../../src-main/links/peer-view.js';
import { newPeerEntry } from '../../../src-main/links/peer-entry.js';
import type { KnownAddress } from '../../../src-main/state/address-book.js';
import type { RelaySetting } from '../../../src-main/state/settings.js';

const FP = 'b'.repeat(64);
const RELAY = 'ws://127.0.0.1:7474';

/** A peer saved with nothing but its name: no address, no home relay in its record. */
function bareEntry() {
  return newPeerEntry(
    'a'.repeat(64),
    { name: 'b', fingerprint: FP, addresses: [], allow: [], addedAt: '2026-11-27T00:00:00Z' },
    () => undefined,
    {
      dialDirect: () => Promise.resolve(undefined),
      dialRelay: () => Promise.resolve(undefined),
      attach: () => undefined,
      onError: () => undefined,
    },
  );
}

function source(observed: { addresses?: KnownAddress[]; homeRelay?: RelaySetting } = {}): PeerStateSource {
  return {
    relayClients: () => [{ url: RELAY, state: 'connected' }],
    settings: { get: () => ({ listen: '127.0.0.1:0' }) },
    addressBook: () => observed.addresses ?? [],
    homeRelay: () => observed.homeRelay,
  };
}

test('an observed address counts: a refused dial there says the agent is not running', () => {
  const entry = bareEntry();
  const now = Date.now();
  Object.assign(entry.direct, {
    lastError: 'connection refused',
    lastObserved: { path: 'direct', kind: 'refused', address: '127.0.0.1:40000' },
    lastErrorAt: now,
  });
  Object.assign(entry.relay, {
    lastError: 'not connected there',
    lastObserved: { path: 'relay', kind: 'not-on-relay', relay: RELAY },
    lastErrorAt: now,
  });
  const learned = { addresses: [{ address: '127.0.0.1:40000', from: ['hello' as const] }] };
  assert.match(
    peerStateView(source(learned), entry).stateDetail ?? '',
    /^its agent is not running — direct 127\.0\.0\.1:40000: connection refused/,
  );
  assert.doesNotMatch(peerStateView(source(), entry).stateDetail ?? '', /not running — direct/);
});

test('a home relay heard counts as known: the peer is not told to name one', () => {
  const entry = bareEntry();
  Object.assign(entry.relay, {
    lastError: 'not connected there',
    lastObserved: { path: 'relay', kind: 'not-on-relay', relay: RELAY },
    lastErrorAt: Date.now(),
  });
  assert.match(
    peerStateView(source({ homeRelay: { url: RELAY } }), entry).stateDetail ?? '',
    /its agent is not running, or it is not connected to relay/,
  );
  const unknown = peerStateView(source(), entry);
  assert.match(unknown.stateDetail ?? '', /it is on none of this node's relays/);
});
