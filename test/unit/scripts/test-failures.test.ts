/**
 * What the test runner prints again about a failed file at the end of a run (scripts/test-failures.mjs):
 * the failing tests and their errors, without Node's own stack frames, bounded; the last lines of a
 * file that died before it could list its failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureDigest } from '../../../scripts/test-failures.mjs';

const report = [
  '✔ passes (1.5ms)',
  '✖ fails here (1.6ms)',
  '  AssertionError [ERR_ASSERTION]: one is not two',
  'ℹ tests 2',
  'ℹ fail 1',
  '',
  '✖ failing tests:',
  '',
  'test at test/x.test.ts:4:1',
  '✖ fails here (1.6ms)',
  '  AssertionError [ERR_ASSERTION]: one is not two',
  '      at TestContext.<anonymous> (file:///work/test/x.test.ts:4:35)',
  '      at Test.runInAsyncScope (node:async_hooks:206:9)',
  '      at node:internal/test_runner/harness:255:12',
  '      at Test.run (node:internal/test_runner/test:796:25)',
  '  }',
].join('\n');

test('a report with its list of failures: that list, the test named, its error and its own frames', () => {
  assert.deepEqual(failureDigest(report), [
    'test at test/x.test.ts:4:1',
    '✖ fails here (1.6ms)',
    '  AssertionError [ERR_ASSERTION]: one is not two',
    '      at TestContext.<anonymous> (file:///work/test/x.test.ts:4:35)',
    '  }',
  ]);
});

test('a long list is cut at the bound and says how much was left out', () => {
  const long = `✖ failing tests:\n${Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n')}`;
  const digest = failureDigest(long, 10);
  assert.equal(digest.length, 10);
  assert.equal(digest[8], 'line 8');
  assert.equal(digest[9], '… 91 more lines');
});

test('a file that died before listing its failures: its last lines', () => {
  const died = ['✔ one (1ms)', 'FATAL ERROR: Reached heap limit', 'Aborted', ''].join('\n');
  assert.deepEqual(failureDigest(died, 2), ['FATAL ERROR: Reached heap limit', 'Aborted']);
});
