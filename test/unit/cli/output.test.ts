/** Hints name commands a user can paste: `hintCommand` adds the home the command was given, quoted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hintCommand, shellWord } from '../../../src-main/cli/output.js';

test('a hint carries --home only when the command had one', () => {
  assert.equal(hintCommand('pending'), 'clawbridge pending');
  assert.equal(hintCommand('approve --latest', '/tmp/cb-a'), 'clawbridge approve --latest --home /tmp/cb-a');
});

test('a home a shell would split or expand is single-quoted, and reads back unchanged', () => {
  assert.equal(shellWord('/home/me/cb tour'), `'/home/me/cb tour'`);
  assert.equal(shellWord("/tmp/it's"), `'/tmp/it'\\''s'`);
  assert.equal(shellWord('/tmp/$HOME'), `'/tmp/$HOME'`);
  assert.equal(shellWord('C:/Users/me'), 'C:/Users/me');
});
