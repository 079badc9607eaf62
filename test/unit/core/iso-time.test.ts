import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isoTime } from '../../../src-main/core/iso-time.js';

test('isoTime writes what toISOString writes, for any time from 1970 to the year 9999 and beyond', () => {
  fc.assert(
    fc.property(fc.integer({ min: -62_198_755_200_000, max: 8_640_000_000_000_000 }), (ms) => {
      assert.equal(isoTime(ms), new Date(ms).toISOString());
    }),
    { numRuns: 5000 },
  );
  for (const ms of [
    0, 999, 1000, 946_684_799_999, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000,
  ]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  }
});

test('isoTime of now is the current time, and of a time that is not a date throws as toISOString does', () => {
  const before = Date.now();
  const now = Date.parse(isoTime());
  assert.ok(now >= before && now <= Date.now(), 'now >= before && now <= Date.now()');
  assert.throws(() => isoTime(Number.NaN), RangeError);
  for (const ms of [1.5, 999.999, 1_764_257_919_365.7]) assert.equal(isoTime(ms), new Date(ms).toISOString());
});
