import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttemptLimiter } from '../../../src-main/core/attempt-limiter.js';

test('allows perWindow attempts per key, then says how long to wait', () => {
  let now = 0;
  const limiter = new AttemptLimiter(3, 60_000, 100, () => now);
  assert.equal(limiter.attempt('a'), 0);
  now = 10_000;
  assert.equal(limiter.attempt('a'), 0);
  assert.equal(limiter.attempt('a'), 0);
  assert.equal(limiter.attempt('a'), 50, 'the first attempt leaves the window at 60 s');
  assert.equal(limiter.attempt('b'), 0, 'another key is not affected');
  now = 60_000;
  assert.equal(limiter.attempt('a'), 0, 'the oldest attempt fell out of the window');
  assert.equal(limiter.attempt('a'), 10);
});

test('a refused attempt does not extend the wait', () => {
  let now = 0;
  const limiter = new AttemptLimiter(1, 1_000, 100, () => now);
  assert.equal(limiter.attempt('a'), 0);
  for (let i = 0; i < 5; i++) assert.equal(limiter.attempt('a'), 1);
  now = 1_000;
  assert.equal(limiter.attempt('a'), 0);
});

test('the key set stays bounded; the least recently used key is forgotten', () => {
  const now = 0;
  const limiter = new AttemptLimiter(1, 60_000, 3, () => now);
  assert.equal(limiter.attempt('victim'), 0);
  for (const k of ['x', 'y', 'z']) assert.equal(limiter.attempt(k), 0);
  assert.equal(limiter.attempt('victim'), 0, 'forgotten, so allowed again (never stricter)');
  assert.ok(limiter.attempt('z') > 0, 'recent keys are kept');
});
