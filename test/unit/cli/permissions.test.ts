import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllow, parsePermission } from '../../../src-main/cli/permissions.js';

test('--allow: none alone, or a list of permissions; anything else is refused saying what to use', () => {
  assert.deepEqual(parseAllow('none'), []);
  assert.deepEqual(parseAllow(' Terminal, forward,terminal '), ['terminal', 'forward']);
  assert.throws(
    () => parseAllow(''),
    /--allow needs a list: terminal, forward, relay, listen, message, files, or none alone/,
  );
  assert.throws(() => parseAllow('none,terminal'), /'none' cannot be combined with permissions/);
  assert.throws(() => parseAllow('bogus'), /--allow: unknown permission 'bogus'/);
});

test('one permission (peers allow/deny) is named without a flag it was not given as', () => {
  assert.equal(parsePermission('Forward'), 'forward');
  assert.throws(
    () => parsePermission('bogus'),
    (err: Error) => {
      assert.equal(
        err.message,
        "unknown permission 'bogus'; use one of terminal, forward, relay, listen, message, files",
      );
      return true;
    },
  );
  assert.throws(() => parsePermission('terminal,forward'), /unknown permission/);
});
