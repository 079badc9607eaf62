import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isClawError } from '../../../src-main/core/errors.js';
import { RTO_CAP_MS, RTO_FLOOR_MS } from '../../../src-main/mux/constants.js';
import { RtoEstimator } from '../../../src-main/mux/rto.js';

function rtoAfter(samples: readonly number[], floor = RTO_FLOOR_MS, cap = RTO_CAP_MS): number {
  const est = new RtoEstimator(floor, cap);
  for (const ms of samples) est.sample(ms);
  return est.rtoMs;
}

test('before any sample the RTO is the cap', () => {
  const est = new RtoEstimator(1000, 3000);
  assert.equal(est.sampled, false);
  assert.equal(est.rtoMs, 3000);
});

test('follows RFC 6298: first sample SRTT = R, RTTVAR = R/2; then the 1/8 and 1/4 gains', () => {
  const est = new RtoEstimator(1, 100_000);
  est.sample(400);
  assert.equal(est.smoothedRttMs, 400);
  assert.equal(est.rtoMs, 400 + 4 * 200);
  est.sample(800);
  // RTTVAR = 3/4·200 + 1/4·|400 − 800| = 250; SRTT = 7/8·400 + 1/8·800 = 450.
  assert.equal(est.smoothedRttMs, 450);
  assert.equal(est.rtoMs, 450 + 4 * 250);
});

test('a loopback RTT gives the floor, a slow path the cap', () => {
  assert.equal(rtoAfter([0.1, 0.12, 0.09]), RTO_FLOOR_MS);
  assert.equal(rtoAfter([2500, 2600]), RTO_CAP_MS);
  // A 1.2 s path with jitter lands in between.
  const between = rtoAfter([1200, 1500, 1100, 1400]);
  assert.ok(between > RTO_FLOOR_MS && between < RTO_CAP_MS, String(between));
});

test('samples that are not finite or are negative are ignored', () => {
  assert.equal(rtoAfter([Number.NaN, -5, Number.POSITIVE_INFINITY]), RTO_CAP_MS);
  assert.equal(rtoAfter([0.1, Number.NaN, -1]), RTO_FLOOR_MS);
});

test('bounds out of order or not positive are refused', () => {
  for (const [floor, cap] of [
    [0, 10],
    [10, 5],
    [Number.NaN, 10],
    [1, Number.POSITIVE_INFINITY],
  ] as const) {
    assert.throws(
      () => new RtoEstimator(floor, cap),
      (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
    );
  }
});

const sample = fc.double({ min: 0, max: 60_000, noNaN: true });
const samples = fc.array(sample, { minLength: 1, maxLength: 50 });
const bounds = fc
  .tuple(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 0, max: 10_000 }))
  .map(([floor, extra]) => ({ floor, cap: floor + extra }));

test('property: the RTO always lies within [floor, cap]', () => {
  fc.assert(
    fc.property(samples, bounds, (s, { floor, cap }) => {
      const rto = rtoAfter(s, floor, cap);
      return rto >= floor && rto <= cap;
    }),
    { numRuns: 2_000 },
  );
});

// Monotone in the RTT samples: a path whose every round trip is k ≥ 1 times longer never gets a shorter
// timeout. (Sample-by-sample dominance does not hold for RFC 6298 — a sudden faster sample raises RTTVAR —
// so this is the monotonicity the estimator promises: slower paths, same shape, longer RTO.)
test('property: scaling every RTT sample up never lowers the RTO', () => {
  fc.assert(
    fc.property(samples, fc.double({ min: 1, max: 100, noNaN: true }), bounds, (s, k, { floor, cap }) => {
      const slower = rtoAfter(
        s.map((ms) => ms * k),
        floor,
        cap,
      );
      return slower >= rtoAfter(s, floor, cap) * (1 - 1e-12);
    }),
    { numRuns: 2_000 },
  );
});

test('property: for a steady RTT the RTO is non-decreasing in that RTT', () => {
  fc.assert(
    fc.property(sample, sample, fc.integer({ min: 1, max: 30 }), (x, y, n) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      return rtoAfter(Array<number>(n).fill(lo)) <= rtoAfter(Array<number>(n).fill(hi)) * (1 + 1e-12);
    }),
    { numRuns: 2_000 },
  );
});
