/**
 * What scripts/run-tests.mjs runs for the paths it is given (scripts/test-paths.mjs): a path under
 * test/ and the same path from the repository's root name the same files. `test/unit/x` became
 * `test/test/unit/x`, which holds nothing, and the run failed with "no test files found".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testPaths } from '../../../scripts/test-paths.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('a path under test/ and the same path from the root are one path', () => {
  const under = testPaths(root, ['unit/scripts/test-paths.test.ts']);
  const fromRoot = testPaths(root, ['test/unit/scripts/test-paths.test.ts']);
  const dotted = testPaths(root, ['./test/unit/scripts']);
  assert.deepEqual(fromRoot, under, 'test/… names what the path under test/ names');
  assert.equal(fromRoot[0], join(root, 'test/unit/scripts/test-paths.test.ts'), 'no test/test/');
  assert.equal(dotted[0], join(root, 'test/unit/scripts'), './test/… names the folder under test/');
  assert.ok(existsSync(fromRoot[0]), `${fromRoot[0]} is this file`);
});

test('no path is the whole of test/; a folder named like test/ elsewhere stays under test/', () => {
  assert.deepEqual(testPaths(root, []), [join(root, 'test')], 'nothing named: all of test/');
  assert.deepEqual(testPaths(root, ['test']), [join(root, 'test')], '`test` is test/ itself');
  assert.deepEqual(testPaths(root, ['unit/test-things']), [join(root, 'test/unit/test-things')], 'kept');
  assert.deepEqual(testPaths(root, ['/tmp/x.test.ts']), ['/tmp/x.test.ts'], 'an absolute path is kept');
});
