import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descendants, perGiB } from '../../../bench/cpu-tree.js';

test('descendants finds a process and everything below it, not its siblings or parent', () => {
  // 1 → 10 (sshd) → 11 (per-connection) → 12; 1 → 20 (someone else)
  const parentOf = new Map([
    [10, 1],
    [11, 10],
    [12, 11],
    [20, 1],
  ]);
  assert.deepEqual(descendants(parentOf, 10).sort(), [10, 11, 12]);
  assert.deepEqual(descendants(parentOf, 20), [20]);
  // A loop in a torn snapshot does not hang the walk.
  assert.deepEqual(
    descendants(
      new Map([
        [5, 6],
        [6, 5],
      ]),
      5,
    ).sort(),
    [5, 6],
  );
});

test('perGiB divides by GiB moved and refuses zero bytes', () => {
  assert.equal(perGiB(3, 3 * 1024 ** 3), 1);
  assert.equal(perGiB(0.5, 1024 ** 3 / 2), 1);
  assert.equal(perGiB(1, 0), null);
});
