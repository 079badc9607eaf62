/**
 * addressBlock: every spelling of an IPv6 address (zero-compressed at any run of zeros, leading zeros,
 * upper case) keys to the same block, and two addresses share a block exactly when their first 64 bits
 * are equal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addressBlock } from '../../src-main/core/address-block.js';

/** Eight groups, with runs of zeros common enough that compression happens. */
const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});

/** One of the many ways to write `g` (the longest or any zero run compressed, padding, case). */
function spell(g: number[], pad: boolean, upper: boolean, compressAt: number): string {
  let parts = g.map((x) => (pad ? x.toString(16).padStart(4, '0') : x.toString(16)));
  let end = compressAt;
  while (end < 8 && g[end] === 0) end++;
  if (compressAt < 8 && g[compressAt] === 0 && end > compressAt) {
    const head = parts.slice(0, compressAt).join(':');
    const tail = parts.slice(end).join(':');
    parts = [`${head}::${tail}`];
  }
  const text = parts.join(':');
  return upper ? text.toUpperCase() : text;
}

test('property: every spelling of an address keys to the block of its first 64 bits', () => {
  fc.assert(
    fc.property(groups, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 8 }), (g, pad, upper, at) => {
      const expected = `${g
        .slice(0, 4)
        .map((x) => x.toString(16))
        .join(':')}::/64`;
      assert.equal(addressBlock(spell(g, pad, upper, at)), expected);
    }),
    { numRuns: 5000 },
  );
});

test('property: two addresses share a block exactly when their first four groups are equal', () => {
  fc.assert(
    fc.property(groups, groups, (a, b) => {
      const same = a.slice(0, 4).every((x, i) => x === b[i]);
      assert.equal(addressBlock(spell(a, false, false, 8)) === addressBlock(spell(b, true, false, 8)), same);
    }),
    { numRuns: 5000 },
  );
});
