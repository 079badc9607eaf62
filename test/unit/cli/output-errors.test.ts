/** What a failed write of a command's output makes of its exit (output-errors.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputFailureOf, SIGPIPE_STATUS } from '../../../src-main/cli/output-errors.js';

const writeError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('a reader that went away is SIGPIPE, quietly; a full disk is said in its own words and fails', () => {
  assert.equal(SIGPIPE_STATUS, 141);
  assert.deepEqual(outputFailureOf(writeError('EPIPE', 'write EPIPE')), { status: 141 });
  assert.deepEqual(outputFailureOf(writeError('ENOSPC', 'ENOSPC: no space left on device, write')), {
    status: 1,
    message: 'cannot write the output: no space left on device (ENOSPC)',
  });
  assert.deepEqual(outputFailureOf(writeError('EIO', 'something odd')), {
    status: 1,
    message: 'cannot write the output: something odd',
  });
});
