/**
 * Which precompressed form a request takes and when it is answered 304 (core/http-encoding.ts,
 * ADR 0107): the relay's page and the agent's web UI both decide with these.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noneMatch, pickCoding, representationTag } from '../../../src-main/core/http-encoding.js';

test("a browser's Accept-Encoding takes brotli, then gzip, then the file as it is", () => {
  assert.equal(pickCoding('gzip, deflate, br, zstd', ['br', 'gzip']), 'br');
  assert.equal(pickCoding('gzip, deflate', ['br', 'gzip']), 'gzip');
  assert.equal(pickCoding('br', ['gzip']), undefined, 'only what the file has');
  assert.equal(pickCoding(undefined, ['br', 'gzip']), undefined, 'no header: as it is');
  assert.equal(pickCoding('identity', ['br', 'gzip']), undefined);
});

test('q-values choose, q=0 refuses, and * stands for what is not named', () => {
  assert.equal(pickCoding('br;q=0.5, gzip', ['br', 'gzip']), 'gzip');
  assert.equal(pickCoding('br;q=0, gzip;q=0', ['br', 'gzip']), undefined);
  assert.equal(pickCoding('*', ['br', 'gzip']), 'br');
  assert.equal(pickCoding('br;q=0, *', ['br', 'gzip']), 'gzip');
  assert.equal(pickCoding('BR ; Q=1', ['br']), 'br', 'case-insensitive');
  assert.equal(pickCoding('x-gzip', ['gzip']), 'gzip', 'x-gzip is gzip');
  assert.equal(pickCoding('br;q=nonsense', ['br']), undefined, 'a q-value that is no number accepts nothing');
});

test('each encoding is its own representation, and If-None-Match matches weakly, in a list, or *', () => {
  const br = representationTag('abc', 'br');
  assert.equal(br, '"abc-br"');
  assert.equal(representationTag('abc', undefined), '"abc"');
  assert.equal(noneMatch('"abc-br"', br), true);
  assert.equal(noneMatch('W/"abc-br"', br), true, 'weak comparison');
  assert.equal(noneMatch('"x", "abc-br"', br), true, 'a list');
  assert.equal(noneMatch('*', br), true);
  assert.equal(noneMatch('"abc"', br), false, 'another representation');
  assert.equal(noneMatch(undefined, br), false);
});
