import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINK_WINDOW_GROWTH_BUDGET,
  MAX_AUTO_STREAM_WINDOW,
  MIN_CREDIT_RTT_MS,
  RTT_FILTER_SAMPLES,
  WINDOW_GROWTH_RTTS,
} from '../../../src-main/mux/constants.js';
import { WindowTuner } from '../../../src-main/mux/window-tuner.js';
import { INITIAL_STREAM_WINDOW } from '../../../src-main/protocol/mux-frames.js';

const W = INITIAL_STREAM_WINDOW;

test('tuner: a half window consumed within WINDOW_GROWTH_RTTS round trips quadruples the window', () => {
  const tuner = new WindowTuner();
  tuner.observeRtt(10);
  const limit = WINDOW_GROWTH_RTTS * 10;
  assert.equal(tuner.next(W, limit - 0.01), 4 * W, 'just under the limit: four times');
  assert.equal(tuner.next(W, limit), W, 'at the limit: unchanged');
  assert.equal(tuner.next(W, 1000), W, 'a slow reader: unchanged');
  assert.equal(tuner.reservedBytes, 3 * W, 'only the one growth is reserved');
});

test('tuner: a new stream passes what a long fat path holds in three growths (ADR 0044)', () => {
  // 60 MB/s over 100 ms holds ~6 MiB. Credit-bound, a stream grows once a round trip: doubling took
  // it five round trips from 256 KiB to 8 MiB, 0.5 s of a download raw TCP runs at full rate.
  const tuner = new WindowTuner();
  tuner.observeRtt(100);
  let w = W;
  for (let i = 0; i < 3; i++) w = tuner.next(w, 110);
  assert.ok(w >= 12 * 1024 * 1024, `window ${w} after three round trips`);
});

test('tuner: without samples, and with tiny ones, the credit round trip is MIN_CREDIT_RTT_MS', () => {
  const tuner = new WindowTuner();
  assert.equal(tuner.hasRtt, false);
  assert.equal(tuner.creditRttMs, MIN_CREDIT_RTT_MS);
  tuner.observeRtt(0.05);
  assert.equal(tuner.hasRtt, true);
  assert.equal(tuner.creditRttMs, MIN_CREDIT_RTT_MS, 'an idle loopback ping does not shrink it');
  for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) tuner.observeRtt(bad);
  assert.equal(tuner.creditRttMs, MIN_CREDIT_RTT_MS, 'nonsense samples are ignored');
});

test('tuner: the RTT is the minimum of the last RTT_FILTER_SAMPLES samples', () => {
  const tuner = new WindowTuner();
  tuner.observeRtt(5);
  for (let i = 0; i < RTT_FILTER_SAMPLES - 1; i++) tuner.observeRtt(80);
  assert.equal(tuner.creditRttMs, 5, 'a queue-inflated sample does not hide the path RTT');
  tuner.observeRtt(80);
  assert.equal(tuner.creditRttMs, 80, 'the old minimum ages out (the path changed)');
});

test('tuner: growth stops at the per-stream cap and within the link budget, and is given back', () => {
  const tuner = new WindowTuner({ maxWindow: 4 * W, budget: 5 * W });
  const fast = 0;
  let a = W;
  for (let i = 0; i < 10; i++) a = tuner.next(a, fast);
  assert.equal(a, 4 * W, 'capped at maxWindow');
  assert.equal(tuner.reservedBytes, 3 * W);
  let b = W;
  for (let i = 0; i < 10; i++) b = tuner.next(b, fast);
  assert.equal(b, 3 * W, 'the second stream gets what is left of the budget (2 W)');
  assert.equal(tuner.reservedBytes, 5 * W);
  let c = W;
  c = tuner.next(c, fast);
  assert.equal(c, W, 'budget exhausted: no growth');
  tuner.release(a - W);
  c = tuner.next(c, fast);
  assert.equal(c, 4 * W, 'a finished stream returned its growth');
  tuner.release(10 * W);
  assert.equal(tuner.reservedBytes, 0, 'never negative');
});

test('tuner: the defaults are MAX_AUTO_STREAM_WINDOW per stream and LINK_WINDOW_GROWTH_BUDGET per link', () => {
  const tuner = new WindowTuner();
  let w = W;
  for (let i = 0; i < 20; i++) w = tuner.next(w, 0);
  assert.equal(w, MAX_AUTO_STREAM_WINDOW);
  let total = w - W;
  for (let s = 0; s < 10; s++) {
    let x = W;
    for (let i = 0; i < 20; i++) x = tuner.next(x, 0);
    total += x - W;
  }
  assert.equal(total, LINK_WINDOW_GROWTH_BUDGET);
  assert.equal(tuner.reservedBytes, LINK_WINDOW_GROWTH_BUDGET);
});

test('tuner: a window reserved up front is capped like growth, comes out of the budget, and is given back', () => {
  const tuner = new WindowTuner({ maxWindow: 4 * W, budget: 5 * W });
  assert.equal(tuner.reserve(W, 8 * W), 4 * W, 'capped at maxWindow');
  assert.equal(tuner.reservedBytes, 3 * W);
  assert.equal(tuner.reserve(W, 4 * W), 3 * W, 'the second stream gets what is left of the budget (2 W)');
  assert.equal(tuner.reserve(W, 4 * W), W, 'budget exhausted: the window it had');
  assert.equal(tuner.reserve(2 * W, W), 2 * W, 'never below the window it has');
  tuner.release(3 * W);
  assert.equal(tuner.reserve(W, 2 * W), 2 * W, 'a finished stream returned its growth');
  assert.equal(tuner.reservedBytes, 3 * W);
});
