/**
 * Happy-eyeballs racing (core/staggered-race.ts): attempts start in order, a failure starts the next one
 * at once, the first success wins even if it started later, later successes are handed back to be
 * closed, and when everything fails every error is there in candidate order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raceStaggered } from '../../../src-main/core/staggered-race.js';
import { until } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

const failAfter = (ms: number, message: string): Promise<never> =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms));

test('the first success wins; a slow first candidate does not hold up the next', async () => {
  // The slow attempt succeeds only when the test says so, after the fast one won: which comes first
  // is decided here, not by two timers a busy machine may fire late together.
  let slowSucceeds!: (value: string) => void;
  const started: string[] = [];
  const discarded: string[] = [];
  const win = await raceStaggered(
    ['slow', 'fast'],
    (c) => {
      started.push(c);
      return c === 'slow'
        ? new Promise<string>((resolve) => (slowSucceeds = resolve))
        : Promise.resolve('fast link');
    },
    (v) => discarded.push(v),
    20,
  );
  assert.deepEqual(win, { value: 'fast link', index: 1 });
  assert.deepEqual(started, ['slow', 'fast']);
  slowSucceeds('slow link');
  await until('the slower success to be handed back', () => discarded.length > 0);
  assert.deepEqual(discarded, ['slow link'], 'the slower success is handed back to be closed');
});

test('a failure starts the next candidate at once; a success stops the rest from starting', async (t) => {
  // The clock stands still: the stagger's timer cannot start anything, only a failure can.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const started: number[] = [];
  let win: unknown;
  raceStaggered(
    [0, 1, 2, 3],
    (i) => {
      started.push(i);
      return i < 2 ? Promise.reject(new Error(`refused ${i}`)) : Promise.resolve(`link ${i}`);
    },
    () => undefined,
    10_000,
  )
    .then((w) => (win = w))
    .catch(failTest('raceStaggered'));
  for (let turn = 0; turn < 10 && win === undefined; turn++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(win, { value: 'link 2', index: 2 }, 'won without the stagger delay passing');
  t.mock.timers.tick(10_000);
  assert.deepEqual(started, [0, 1, 2], 'nothing started after the success, not even at its delay');
});

test('all failing: an AggregateError with every error in candidate order', async () => {
  await assert.rejects(
    raceStaggered(
      ['a', 'b', 'c'],
      (c) => (c === 'a' ? failAfter(30, 'a') : Promise.reject(new Error(c))),
      () => undefined,
      5,
    ),
    (err: AggregateError) => {
      assert.deepEqual(
        err.errors.map((e: Error) => e.message),
        ['a', 'b', 'c'],
      );
      return true;
    },
  );
  await assert.rejects(
    raceStaggered(
      [],
      () => Promise.resolve(1),
      () => undefined,
    ),
    AggregateError,
  );
});
