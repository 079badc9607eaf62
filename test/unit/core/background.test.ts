/**
 * Work not awaited goes to `background` (core/background.ts): its rejection reaches the report the
 * caller gave, and a report that throws is no unhandled rejection either (Node would end the agent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background, inBackground } from '../../../src-main/core/background.js';

test('a rejection reaches the report; a report that throws leaves nothing unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    const reported = new Promise<unknown>((resolve) =>
      background(Promise.reject(new Error('disk full')), resolve),
    );
    assert.equal(((await reported) as Error).message, 'disk full');
    const lines: string[] = [];
    inBackground(Promise.reject(new Error('no space')), { warn: (l) => lines.push(l) }, 'saving groups');
    background(Promise.reject(new Error('first')), () => {
      throw new Error('the report itself failed');
    });
    // Two turns: the rejections' handlers run, and an unhandled one would be reported after them.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lines, ['saving groups failed: no space']);
    assert.deepEqual(unhandled, [], 'no rejection left unhandled');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
