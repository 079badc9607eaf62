/**
 * Pacing through a real mux (flight.ts, ADR 0033): on a path of PACE_MIN_RTT_MS or more, bulk DATA the
 * pacer holds goes on at the mux's wake-up timer or at the next acknowledgement, whichever comes
 * first, and must arrive whole and in order like any other. The pacer's rate and the burst it removes
 * are pinned on a fake clock in flight.test.ts; here the pacer really holds the sender (checked while
 * writing this test: 34 wake-ups in the transfer below), with real timers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PACE_MIN_RTT_MS } from '../../../src-main/mux/flight.js';
import { muxPair, readAll } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

test('a bulk transfer on a path the pacer holds runs to its end byte-exact', async () => {
  // 20 ms each way: a 40 ms path, paced. The receiver grants 8 MiB at once, so credit does not hold
  // the sender first: the start-up's bucket (4 ms of 2 × cap / 40 ms, a fifth of the cap) runs dry.
  const latencyMs = 20;
  assert.ok(2 * latencyMs >= PACE_MIN_RTT_MS, '2 * latencyMs >= PACE_MIN_RTT_MS');
  const window = 8 * 1024 * 1024;
  const pair = muxPair({ link: { latencyMs }, b: { streamWindow: window, maxStreamWindow: window } });
  try {
    const body = randomBytes(16 * 1024 * 1024);
    const s = await pair.ma.open('bulk', {});
    s.end(body);
    const accepted = await until('the stream accepted', () => pair.accepted[0]);
    const got = await readAll(accepted, 30_000);
    assert.equal(got.length, body.length);
    assert.ok(got.equals(body), 'the bytes arrived as sent');
  } finally {
    pair.close();
  }
});
