/** Add forward's own checks: every required field left empty is flagged by one submit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingFields, MISSING_TEXT } from '../../../src-renderer/features/forwards/field-error.js';

const empty = { local: '', via: 'b', remote: '', name: '' };

test('a TCP forward with nothing filled in flags Local address and Remote address at once', () => {
  assert.deepEqual(missingFields('tcp', empty), { local: MISSING_TEXT.local, remote: MISSING_TEXT.remote });
  assert.deepEqual(missingFields('tcp', { ...empty, local: ' 8080 ' }), { remote: MISSING_TEXT.remote });
  assert.deepEqual(missingFields('tcp', { ...empty, local: '8080', remote: '127.0.0.1:80' }), {});
});

test('a proxy needs no remote address: the client chooses it', () => {
  assert.deepEqual(missingFields('socks', empty), { local: MISSING_TEXT.local });
  assert.deepEqual(missingFields('http', { ...empty, local: '3128' }), {});
});
