/**
 * A paired device as the browser's window shows it (src-web/window/device-state.ts, ADR 0094): its link
 * up is online through the relay; a device that refused this browser (removed it) is `refused` in
 * words saying so; the relay out of reach is `unreachable` with its reason; the relay there but the
 * device not on it is `offline`; a device not tried yet is not called online.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peerInfoOf, stateOf } from '../../../src-web/window/device-state.js';

const since = '2026-01-01T00:00:00.000Z';
const device = { fingerprint: 'cd'.repeat(32), name: 'office', relayUrl: 'wss://relay.example:443' };

test('a linked device is online through the relay, with nothing granted either way', () => {
  const peer = peerInfoOf(device, { kind: 'up', since });
  assert.equal(peer.state, 'online');
  assert.equal(peer.online, true);
  assert.equal(peer.path, 'relay');
  assert.equal(peer.relay, device.relayUrl);
  assert.deepEqual(peer.links, ['relay']);
  assert.deepEqual(peer.allow, [], 'a browser grants a device nothing');
  assert.equal(peer.name, 'office');
  assert.equal(peer.since, since);
});

test('the device removed this browser: refused, in words that say so, with no path', () => {
  const peer = peerInfoOf(device, {
    kind: 'down',
    since,
    reason: 'the device closed the circuit',
    refusal: 'REMOVED',
  });
  assert.equal(peer.state, 'refused');
  assert.match(peer.stateDetail ?? '', /removed this browser/);
  assert.equal(peer.path, null);
  assert.equal(peer.online, false);
  assert.equal(stateOf({ kind: 'down', since, reason: 'x', refusal: 'NOT_APPROVED' }).state, 'refused');
});

test('the relay out of reach is unreachable with its reason; the device not on it is offline', () => {
  for (const reason of [
    'cannot reach the relay at ws://127.0.0.1:1: check the network and try again',
    'relay closed the connection (1006)',
    'the relay connection is closed',
  ])
    assert.deepEqual(stateOf({ kind: 'down', since, reason }), { state: 'unreachable', detail: reason });
  const off = stateOf({ kind: 'down', since, reason: 'no such node' });
  assert.equal(off.state, 'offline');
  assert.match(off.detail ?? '', /not on the relay now \(no such node\)/);
  // A stream refusal that is not about this browser's standing keeps the device reachable later.
  assert.equal(
    stateOf({ kind: 'down', since, reason: 'busy', refusal: 'TOO_MANY_STREAMS' }).state,
    'offline',
  );
});

test('a device not tried yet is not shown online', () => {
  const { state, detail } = stateOf({ kind: 'unknown', since });
  assert.equal(state, 'offline');
  assert.match(detail ?? '', /connecting/);
});
