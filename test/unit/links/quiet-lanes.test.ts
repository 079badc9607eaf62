/**
 * The listener's side of quiet lanes (src-main/links/quiet-lanes.ts): only a direct link the peer
 * dialed offers one, a connection naming the token joins that link if it is the same peer's, and a
 * token seen by another node cannot be used up by it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { QuietLanes } from '../../../src-main/links/quiet-lanes.js';
import type { Identity } from '../../../src-main/crypto/identity.js';
import { Mux } from '../../../src-main/mux/mux.js';
import { createLinkPair } from '../../helpers/link-pair.js';

function listenerSide() {
  const lanes = new QuietLanes({ identity: {} as Identity, log: pino({ level: 'silent' }) });
  const { a, b } = createLinkPair(); // b: the side that accepted, its peer is a…a
  const mux = new Mux(b);
  const peerMux = new Mux(a);
  return { lanes, a, b, mux, close: () => (mux.close('test over'), peerMux.close('test over')) };
}

test("a link the peer dialed offers a lane; one this node dialed, or a relay's, does not", () => {
  const s = listenerSide();
  try {
    assert.match(String(s.lanes.offer(s.b, s.mux)), /^[0-9a-f]{32}$/);
    assert.equal(s.lanes.offer(s.a, s.mux), undefined);
    const relay = createLinkPair({ path: 'relay' });
    assert.equal(s.lanes.offer(relay.b, s.mux), undefined);
  } finally {
    s.close();
  }
});

test("another node naming the token is closed, and the peer's own lane still joins", () => {
  const s = listenerSide();
  try {
    const token = s.lanes.offer(s.b, s.mux)!;
    const stranger = createLinkPair().a; // its peer is b…b, not the link's a…a
    s.lanes.join(token, stranger);
    assert.equal(stranger.closed, true);
    assert.equal(s.mux.hasQuietLane, false);
    const lane = createLinkPair().b;
    s.lanes.join(token, lane);
    assert.equal(lane.closed, false);
    assert.equal(s.mux.hasQuietLane, true);
    const again = createLinkPair().b;
    s.lanes.join(token, again);
    assert.equal(again.closed, true, 'a token joins one lane only');
  } finally {
    s.close();
  }
});

test('a token of a link that closed joins nothing', () => {
  const s = listenerSide();
  const token = s.lanes.offer(s.b, s.mux)!;
  s.close();
  const lane = createLinkPair().b;
  s.lanes.join(token, lane);
  assert.equal(lane.closed, true);
});
