/**
 * The retry schedule for a listener whose port is taken, on a fake clock: 1, 2, 4, 8, 16, then 30 s
 * between attempts, stops once an attempt succeeds, and stops for good when cancelled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetrySchedule, retryDelayMs } from '../../../src-main/forwards/retry-schedule.js';
import { fakeClock } from '../../helpers/fake-clock.js';

test('delays: 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s at most', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 20].map(retryDelayMs),
    [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
  );
});

test('retries on the schedule until an attempt succeeds, with retryAt the next attempt', async () => {
  const clock = fakeClock(1_000_000);
  let calls = 0;
  const schedule = new RetrySchedule(() => Promise.resolve(++calls === 7), clock);
  assert.equal(schedule.next(), 1000);
  assert.equal(schedule.retryAt, clock.now() + 1000);
  const waits: (number | undefined)[] = [];
  for (let i = 0; i < 7; i++) waits.push(await clock.runNext());
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.equal(calls, 7);
  assert.equal(clock.pending(), 0, 'nothing scheduled after success');
  assert.equal(schedule.retryAt, undefined);
});

test('an attempt that throws counts as failed; cancel stops the schedule', async () => {
  const clock = fakeClock(1_000_000);
  let calls = 0;
  const schedule = new RetrySchedule(() => {
    calls++;
    return Promise.reject(new Error('still in use'));
  }, clock);
  schedule.next();
  await clock.runNext();
  await clock.runNext();
  assert.equal(calls, 2);
  assert.equal(clock.pending(), 1);
  schedule.cancel();
  assert.equal(clock.pending(), 0);
  assert.equal(schedule.retryAt, undefined);
  assert.equal(await clock.runNext(), undefined);
  assert.equal(calls, 2);
});
