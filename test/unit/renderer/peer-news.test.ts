/** What the Peers view and Join with code tell a screen reader when things change: few words, no floods. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { peerNews, seePeers } from '../../../src-renderer/lib/peer-news.js';
import { JOIN_IDLE, joinNews, type JoinProgress } from '../../../src-renderer/features/pair/pair-steps.js';

function peer(name: string, state: PeerInfo['state'], path: PeerInfo['path'] = null): PeerInfo {
  return {
    name,
    fingerprint: `${name}`.padEnd(64, '0'),
    online: state === 'online',
    state,
    stateDetail: null,
    relayReason: null,
    path,
    address: null,
    listenAddress: null,
    linkFrom: null,
    relay: null,
    relaySpliced: null,
    rttMs: null,
  } as PeerInfo;
}

test('a peer going offline, coming back, and moving to the relay is said in a few words', () => {
  const online = seePeers([peer('b', 'online', 'direct'), peer('c', 'online', 'direct')]);
  const offline = seePeers([peer('b', 'offline'), peer('c', 'online', 'direct')]);
  const relayed = seePeers([peer('b', 'online', 'relay'), peer('c', 'online', 'direct')]);
  assert.deepEqual(peerNews(online, offline), ['b is offline']);
  assert.deepEqual(peerNews(offline, relayed), ['b is online via relay']);
  assert.deepEqual(peerNews(online, relayed), ['b is online via relay'], 'direct → relay');
  assert.deepEqual(peerNews(seePeers([peer('b', 'online', 'direct')]), seePeers([peer('b', 'waiting')])), [
    'b is waiting for their approval',
  ]);
});

test('nothing to say: no change, a flap undone before it was said, a peer added or removed', () => {
  const one = seePeers([peer('b', 'online', 'direct')]);
  assert.deepEqual(peerNews(one, seePeers([peer('b', 'online', 'direct')])), []);
  assert.deepEqual(peerNews(one, seePeers([peer('b', 'online', 'direct'), peer('c', 'offline')])), []);
  assert.deepEqual(peerNews(one, seePeers([])), []);
  // An RTT or a detail that changes is not news either.
  const b = { ...peer('b', 'online', 'direct'), rttMs: 12, stateDetail: 'direct 127.0.0.1:1' };
  assert.deepEqual(peerNews(one, seePeers([b])), []);
});

test('several peers changing in one burst are said together, each once', () => {
  const before = seePeers([peer('b', 'online', 'direct'), peer('c', 'online', 'relay')]);
  const after = seePeers([peer('b', 'offline'), peer('c', 'unreachable')]);
  assert.deepEqual(peerNews(before, after), ['b is offline', 'c is unreachable']);
});

test("a join's steps: each step once, nothing when it did not move, the peer named once known", () => {
  const at = (phase: JoinProgress['phase'], peerName: string | null = null): JoinProgress => ({
    ...JOIN_IDLE,
    phase,
    peerName,
  });
  assert.deepEqual(joinNews(at('idle'), at('finding')), ['Finding the other device…']);
  assert.deepEqual(joinNews(at('finding'), at('checking')), ['Checking the code…']);
  assert.deepEqual(joinNews(at('checking'), at('waiting', 'a')), ['Waiting for approval from a']);
  assert.deepEqual(joinNews(at('waiting', 'a'), at('waiting', 'a')), []);
  assert.deepEqual(joinNews(at('waiting', 'a'), at('paired', 'a')), ['Paired with a']);
  assert.deepEqual(joinNews(at('waiting', 'a'), at('rejected', 'a')), ['a rejected this device']);
  // A failure is said by its error text (role=alert), not twice.
  assert.deepEqual(joinNews(at('finding'), at('failed')), []);
});
