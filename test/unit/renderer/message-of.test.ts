import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageOf } from '../../../src-renderer/api/client.js';

test("the window shows the agent's refusal of a field without the method and field names", () => {
  assert.equal(
    messageOf(new Error('invalid parameters for peers.rename: name: use 1–64 letters, digits, . _ -')),
    'Use 1–64 letters, digits, . _ -',
  );
  assert.equal(messageOf(new Error('invalid parameters for forward.add: bad input')), 'Bad input');
  assert.equal(messageOf(new Error('no peer named b')), 'no peer named b');
  assert.equal(messageOf('plain'), 'plain');
});
