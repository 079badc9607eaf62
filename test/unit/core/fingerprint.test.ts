import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  abbreviateFingerprint,
  groupFingerprint,
  parseFingerprint,
  shortFingerprint,
} from '../../../src-main/core/fingerprint.js';
import { isClawError } from '../../../src-main/core/errors.js';

const FP = '85544cd42bcf0123456789abcdef0123456789abcdef0123456789abcdef0ea7';

test('accepts colons, spaces, dashes and upper case', () => {
  const colons = FP.toUpperCase().match(/../g)!.join(':');
  assert.equal(parseFingerprint(colons), FP);
  assert.equal(parseFingerprint(groupFingerprint(FP)), FP);
  assert.equal(parseFingerprint(` ${FP.slice(0, 10)}-${FP.slice(10)} `), FP);
});

test('names the length problem', () => {
  assert.throws(() => parseFingerprint(FP.slice(0, 62)), {
    message: 'fingerprint must be 64 hex characters, got 62',
  });
  assert.throws(() => parseFingerprint(''), { message: 'fingerprint must be 64 hex characters, got 0' });
});

test('names a non-hex character', () => {
  assert.throws(() => parseFingerprint(FP.slice(0, 63) + 'g'), /only hex digits, found 'g'/);
});

test('display forms', () => {
  assert.equal(groupFingerprint(FP).split(' ').length, 16);
  assert.ok(
    groupFingerprint(FP).startsWith('8554 4cd4 2bcf'),
    "groupFingerprint(FP).startsWith('8554 4cd4 2bcf')",
  );
  assert.equal(shortFingerprint(FP), '85544cd4');
  assert.equal(abbreviateFingerprint(FP), '8554…0ea7');
});

test('property: parse never throws anything but a ClawError, and accepts exactly 64 hex digits', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      try {
        const fp = parseFingerprint(s);
        assert.match(fp, /^[0-9a-f]{64}$/);
      } catch (err) {
        assert.ok(isClawError(err, 'BAD_FINGERPRINT'), "isClawError(err, 'BAD_FINGERPRINT')");
      }
    }),
    { numRuns: 10_000 },
  );
});
