/**
 * When the test runner (scripts/run-tests.mjs) starts one more file: always up to one a core, more
 * only while the machine has been mostly idle and the last start has had time to show, never past
 * the most.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FREE_TO_ADD,
  SETTLE_MS,
  freeShare,
  mayStart,
  sampleCpu,
  SlotTimeline,
  type SlotState,
} from '../../../scripts/test-slots.mjs';

const state = (over: Partial<SlotState>): SlotState => ({
  running: 2,
  base: 2,
  most: 4,
  free: 0,
  sinceStartMs: SETTLE_MS,
  ...over,
});

test('below one a core a file starts whatever the machine is doing', () => {
  assert.equal(mayStart(state({ running: 0, free: undefined, sinceStartMs: 0 })), true);
  assert.equal(mayStart(state({ running: 1, free: 0, sinceStartMs: 0 })), true);
});

test('at one a core, one more starts only on an idle machine, once the last start has settled', () => {
  assert.equal(mayStart(state({ free: FREE_TO_ADD })), true);
  assert.equal(mayStart(state({ free: FREE_TO_ADD - 0.01 })), false, 'busy machine');
  assert.equal(mayStart(state({ free: 0.9, sinceStartMs: SETTLE_MS - 1 })), false, 'last start not settled');
  assert.equal(mayStart(state({ free: undefined })), false, 'no window yet');
});

test('never past the most, however idle', () => {
  assert.equal(mayStart(state({ running: 3, free: 1 })), true);
  assert.equal(mayStart(state({ running: 4, free: 1 })), false);
});

test('the free share is the idle time between two samples', () => {
  assert.equal(freeShare({ idle: 100, total: 1000 }, { idle: 400, total: 2000 }), 0.3);
  assert.equal(freeShare({ idle: 5, total: 10 }, { idle: 5, total: 10 }), undefined, 'no time passed');
  const now = sampleCpu();
  assert.ok(
    now.total > 0 && now.idle >= 0 && now.idle <= now.total,
    'now.total > 0 && now.idle >= 0 && now.idle <= now.total',
  );
});

test('the timeline adds up the time at each count of files and how busy the machine was', () => {
  const timeline = new SlotTimeline();
  timeline.record(2, 1, 1_000);
  timeline.record(2, 0.5, 1_000);
  timeline.record(1, 0.2, 500);
  assert.equal(
    timeline.summary(),
    'files at once: 1 for 1 s (machine 20 % busy), 2 for 2 s (machine 75 % busy); in all the machine was 64 % busy',
  );
});
