/**
 * The records' canonical base64 (protocol/signed-record-lines.ts), a pattern a browser node can run,
 * against the rule it replaced: a string is canonical when Node decodes and encodes it back to itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalBase64 } from '../../src-main/protocol/signed-record-lines.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const nodeSaysCanonical = (s: string) =>
  /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').toString('base64') === s;

test('accepts exactly what decodes and encodes back to itself', () => {
  const strings = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 13 });
  fc.assert(
    fc.property(strings, (s) => {
      const ours = canonicalBase64(100).safeParse(s).success;
      assert.equal(ours, nodeSaysCanonical(s), `canonical base64 decision for ${JSON.stringify(s)}`);
    }),
    { numRuns: fuzzRuns() },
  );
});

test('accepts the encoding of any bytes, and refuses it with a last character changed', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(63), (bytes, other) => {
      const text = Buffer.from(bytes).toString('base64');
      assert.ok(canonicalBase64(100).safeParse(text).success, `the encoding of ${bytes.length} bytes`);
      const last = text.replace(/=+$/, '').length - 1;
      const changed = text.slice(0, last) + ALPHABET[other] + text.slice(last + 1);
      assert.equal(
        canonicalBase64(100).safeParse(changed).success,
        nodeSaysCanonical(changed),
        `the same with its last character ${ALPHABET[other]}`,
      );
    }),
    { numRuns: fuzzRuns() },
  );
});
