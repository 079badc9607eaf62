import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClawError } from '../../../src-main/core/errors.js';
import { apiErrorBody } from '../../../src-main/api/validate.js';

test('a refusal from another node reaches every client with its code, not only its words', () => {
  const err = new ClawError('STREAM_REJECTED', 'permission denied: b does not allow terminals from a', {
    refusal: 'PERMISSION_DENIED',
  });
  assert.deepEqual(apiErrorBody(err), {
    code: 'STREAM_REJECTED',
    message: 'permission denied: b does not allow terminals from a',
    refusal: 'PERMISSION_DENIED',
  });
  assert.deepEqual(apiErrorBody(new ClawError('PEER_NOT_FOUND', 'no peer x')), {
    code: 'PEER_NOT_FOUND',
    message: 'no peer x',
  });
  assert.equal(apiErrorBody(new Error('boom')).code, 'INTERNAL');
  assert.match(apiErrorBody(new SyntaxError('Unexpected token')).message, /^request is not valid JSON/);
});
