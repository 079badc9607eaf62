/**
 * The two stream-ID spaces of a link with a quiet lane (src-main/mux/stream-ids.ts): OPENs of the two
 * connections may interleave in any order, each space accepts exactly the rising IDs of the peer's
 * parity that arrive on their own connection, and own IDs never repeat or leave their space.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isLaneId, LANE_STREAM_BIT, laneMismatch, StreamIds } from '../../src-main/mux/stream-ids.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** An OPEN as the peer might send it: an ID and the connection it came on. */
const arrival = fc.record({
  lane: fc.boolean(),
  id: fc.oneof(
    fc.integer({ min: 1, max: 0xffff_ffff }),
    fc.integer({ min: 1, max: 40 }),
    fc.integer({ min: LANE_STREAM_BIT, max: LANE_STREAM_BIT + 40 }),
  ),
});

test('a peer OPEN is accepted exactly when it rises within its own space, parity and connection', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(arrival, { maxLength: 60 }), (initiator, arrivals) => {
      const ids = new StreamIds(initiator);
      const last = { false: 0, true: LANE_STREAM_BIT };
      for (const { lane, id } of arrivals) {
        const peerParity = id % 2 === (initiator ? 0 : 1);
        const key = String(lane) as 'false' | 'true';
        const onItsConnection = isLaneId(id) === lane;
        assert.equal(
          laneMismatch(id, lane) === undefined,
          onItsConnection,
          `${id} on ${lane ? 'lane' : 'main'}`,
        );
        // As the mux does: a frame on the wrong connection closes the link before its OPEN is read.
        if (!onItsConnection) continue;
        const ok = peerParity && id > last[key];
        assert.equal(ids.peerOpens(id) === undefined, ok, `${id} on ${lane ? 'lane' : 'main'}`);
        if (ok) last[key] = id;
      }
    }),
    { numRuns: fuzzRuns() },
  );
});

test('own IDs rise in each space, keep this side parity, and never cross into the other space', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.boolean(), { maxLength: 200 }), (initiator, takes) => {
      const ids = new StreamIds(initiator);
      const seen = new Set<number>();
      for (const lane of takes) {
        const id = ids.peek(lane)!;
        ids.take(lane);
        assert.equal(isLaneId(id), lane);
        assert.equal(ids.isOwn(id), true);
        assert.ok(!seen.has(id), '!seen.has(id)');
        seen.add(id);
        assert.equal(ids.isFinished(id), true);
      }
    }),
    { numRuns: fuzzRuns() / 10 },
  );
});
