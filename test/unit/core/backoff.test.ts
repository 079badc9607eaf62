import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from '../../../src-main/core/backoff.js';

test('doubles from 1 s to a 30 s ceiling without jitter', () => {
  const none = () => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelayMs(a, none)),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
});

test('jitter adds at most 20 %', () => {
  assert.equal(
    backoffDelayMs(0, () => 0.999999),
    1200,
  );
  assert.equal(
    backoffDelayMs(9, () => 0.5),
    33000,
  );
});
