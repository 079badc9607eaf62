/**
 * Happy-eyeballs racing (core/staggered-race.ts): attempts start in order, a failure starts the next one
 * at once, the first success wins even if it started later, later successes are handed back to be
 * closed, and when everything fails every error is there in candidate order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { raceStaggered } from '../../../src-main/core/staggered-race.js';
import { sleep, until } from '../../helpers/wait.js';

/** An attempt that succeeds with `value` once `ms` have passed. */
const after = <T>(ms: number, value: T): Promise<T> =>
  sleep(ms, 'an attempt that takes this long: the race is over who comes first').then(() => value);
const failAfter = (ms: number, message: string): Promise<never> =>
  new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms));

test('the first success wins; a slow first candidate does not hold up the next', async () => {
  const started: string[] = [];
  const discarded: string[] = [];
  const win = await raceStaggered(
    ['slow', 'fast'],
    (c) => {
      started.push(c);
      return c === 'slow' ? after(200, 'slow link') : after(5, 'fast link');
    },
    (v) => discarded.push(v),
    20,
  );
  assert.deepEqual(win, { value: 'fast link', index: 1 });
  assert.deepEqual(started, ['slow', 'fast']);
  await until('the slower success to be handed back', () => discarded.length > 0);
  assert.deepEqual(discarded, ['slow link'], 'the slower success is handed back to be closed');
});

test('a failure starts the next candidate at once; a success stops the rest from starting', async () => {
  const started: number[] = [];
  const t0 = Date.now();
  const win = await raceStaggered(
    [0, 1, 2, 3],
    (i) => {
      started.push(i);
      return i < 2 ? Promise.reject(new Error(`refused ${i}`)) : after(1, `link ${i}`);
    },
    () => undefined,
    10_000,
  );
  assert.deepEqual(win, { value: 'link 2', index: 2 });
  assert.ok(Date.now() - t0 < 5_000, 'no attempt waited out the delay after a failure');
  await sleep(20, 'no candidate may start after the success, within this window');
  assert.deepEqual(started, [0, 1, 2]);
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
