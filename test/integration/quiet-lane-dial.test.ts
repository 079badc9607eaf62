/**
 * The dialing side of quiet lanes (src-main/links/quiet-lanes.ts) against a real direct listener: a
 * hello offering a lane makes one dial naming its token, and a peer that offers again on the same link
 * (a second control stream) gets no second dial and cannot make the agent throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { QuietLanes } from '../../src-main/links/quiet-lanes.js';
import { Mux } from '../../src-main/mux/mux.js';
import { newLaneToken } from '../../src-main/transport/lane-token.js';
import type { Link } from '../../src-main/transport/link.js';
import { directListener } from '../helpers/direct-listener.js';
import { createLinkPair } from '../helpers/link-pair.js';
import { sleep, until } from '../helpers/wait.js';

test('one dial per link, naming the offered token; a second offer is ignored', async () => {
  const { a, b, listener, accepted, address } = await directListener();
  const lanes = new QuietLanes({ identity: a, log: pino({ level: 'silent' }) });
  const pair = createLinkPair();
  const mux = new Mux(pair.a);
  const link = { path: 'direct', initiator: true, peerId: b.fingerprint, remote: address } as Link;
  const first = newLaneToken();
  lanes.dial(link, mux, first);
  lanes.dial(link, mux, newLaneToken());
  await until('the first lane accepted', () => accepted.length > 0, 30_000);
  await sleep(100, 'no second lane may arrive within this window');
  assert.deepEqual(
    accepted.map((l) => l.laneToken),
    [first],
  );
  // The memory link's peer is not b's fingerprint, so the mux turned this lane away, without a throw.
  assert.equal(mux.hasQuietLane, false);
  mux.close('test over');
  for (const l of accepted) l.close();
  await listener.close();
});
