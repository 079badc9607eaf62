/** Refusals in the window's words, by code; anything else keeps the agent's message. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src-renderer/api/transport.js';
import { explainError } from '../../../src-renderer/lib/refusal-text.js';

test('a refusal code becomes words that name the peer and what to do', () => {
  const denied = new ApiError(
    'STREAM_REJECTED',
    'permission denied: b does not allow terminals from a',
    'PERMISSION_DENIED',
  );
  assert.equal(
    explainError(denied, 'b'),
    'b does not allow this device to do that — on b, open Peers → Permissions for this device',
  );
  assert.match(
    explainError(new ApiError('X', 'm', 'REMOVED'), 'laptop'),
    /^laptop removed or rejected this device/,
  );
});

test('no refusal, or one without better words, keeps the agent’s message', () => {
  assert.equal(explainError(new ApiError('PEER_OFFLINE', 'b is offline'), 'b'), 'b is offline');
  assert.equal(explainError(new ApiError('STREAM_REJECTED', 'odd', 'UNSPECIFIED'), 'b'), 'odd');
  assert.equal(explainError(new Error('plain'), 'b'), 'plain');
});
