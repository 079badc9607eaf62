import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { localExitCode } from '../../../src-main/cli/term-command.js';

test('the remote exit status becomes ours: code (at most 255), or 128 + the signal number', () => {
  assert.equal(localExitCode({ code: 0 }), 0);
  assert.equal(localExitCode({ code: 7 }), 7);
  assert.equal(localExitCode({ code: 0xc000013a }), 255);
  assert.equal(localExitCode({ signal: 'SIGKILL' }), 128 + constants.signals.SIGKILL);
  assert.equal(localExitCode({ signal: 'SIGNOPE' }), 129);
});
