/** UUIDv7: the RFC 9562 example bit for bit, the text form, and IDs that only ever increase. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatUuid,
  isUuidV7Bytes,
  parseUuid,
  UuidV7Generator,
  uuidV7Problem,
  uuidV7Time,
  type UuidV7Source,
} from '../../../src-main/core/uuid-v7.js';

/** A source with a clock the test sets and random bytes it names. */
function fixed(now: number, random: number[]): UuidV7Source & { now(): number; t: number } {
  const s = {
    t: now,
    now: () => s.t,
    random: (bytes: Uint8Array) => bytes.set(random.slice(0, bytes.length)),
  };
  return s;
}

test('known answer: RFC 9562 appendix A.6 (2022-02-22 19:22:22 UTC, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F)', () => {
  // The random bytes as the generator draws them (bytes 6–15); the version and variant bits it then
  // sets over them are the only bits not taken from here.
  const random = [0x0c, 0xc3, 0x18, 0xc4, 0xdc, 0x0c, 0x0c, 0x07, 0x39, 0x8f];
  const gen = new UuidV7Generator(fixed(0x017f22e279b0, random));
  const id = gen.next();
  assert.equal(id, '017f22e2-79b0-7cc3-98c4-dc0c0c07398f');
  assert.equal(uuidV7Time(id), 0x017f22e279b0);
  assert.equal(new Date(uuidV7Time(id)).toISOString(), '2022-02-22T19:22:22.000Z');
});

test('the version and variant bits are set whatever the random bytes are', () => {
  for (const fill of [0x00, 0xff]) {
    const bytes = new UuidV7Generator(fixed(1, new Array<number>(10).fill(fill))).nextBytes();
    assert.ok(isUuidV7Bytes(bytes), 'isUuidV7Bytes(bytes)');
    assert.equal(bytes[6]! >> 4, 7);
    assert.equal(bytes[8]! >> 6, 0b10);
  }
});

test('within one millisecond the next ID is the last plus one in its random bits, carrying across the variant', () => {
  const src = fixed(1000, [0x0f, 0xff, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
  const gen = new UuidV7Generator(src);
  assert.equal(gen.next(), '00000000-03e8-7fff-bfff-fffffffffffe');
  assert.equal(gen.next(), '00000000-03e8-7fff-bfff-ffffffffffff');
  // The 74 counter bits are all ones now: the next one moves to the next millisecond.
  const third = gen.next();
  assert.equal(uuidV7Time(third), 1001);
  src.random = (b) => b.fill(0);
  const g2 = new UuidV7Generator(src);
  src.t = 5;
  assert.equal(g2.next(), '00000000-0005-7000-8000-000000000000');
  assert.equal(g2.next(), '00000000-0005-7000-8000-000000000001');
});

test('10,000 IDs in the same millisecond, and with the clock going back, strictly increase', () => {
  const src: UuidV7Source & { t: number } = {
    t: 1_700_000_000_000,
    now: () => src.t,
    random: (b) => globalThis.crypto.getRandomValues(b),
  };
  const gen = new UuidV7Generator(src);
  let last = '';
  for (let i = 0; i < 10_000; i++) {
    if (i === 5000) src.t -= 60_000; // an NTP step back
    if (i === 7000) src.t += 120_000;
    const id = gen.next();
    assert.ok(id > last, `${id} after ${last}`);
    assert.equal(uuidV7Problem(id), undefined);
    last = id;
  }
});

test('observe: an ID made by an earlier run is a floor for the next ones', () => {
  const src = fixed(10, new Array<number>(10).fill(0));
  const gen = new UuidV7Generator(src);
  gen.observe('00000000-4e20-7000-8000-000000000009'); // made at t = 20000, the clock now says 10
  assert.equal(gen.next(), '00000000-4e20-7000-8000-00000000000a');
  gen.observe('00000000-0001-7000-8000-000000000000'); // lower: changes nothing
  assert.equal(gen.next(), '00000000-4e20-7000-8000-00000000000b');
});

test('text form: canonical lowercase, any case parsed, anything else refused with what is wrong', () => {
  const bytes = parseUuid('017F22E2-79B0-7CC3-98C4-DC0C0C07398F');
  assert.equal(formatUuid(bytes), '017f22e2-79b0-7cc3-98c4-dc0c0c07398f');
  assert.match(uuidV7Problem('017f22e2-79b0-7cc3-98c4-dc0c0c07398')!, /36 characters/);
  assert.match(uuidV7Problem('017f22e2-79b0-4cc3-98c4-dc0c0c07398f')!, /not a UUIDv7/); // version 4
  assert.match(uuidV7Problem('017f22e2-79b0-7cc3-c8c4-dc0c0c07398f')!, /not a UUIDv7/); // variant 110
  assert.match(uuidV7Problem('017f22e2x79b0-7cc3-98c4-dc0c0c07398f')!, /not a UUIDv7/);
  assert.throws(() => parseUuid('nope'), RangeError);
  assert.throws(() => formatUuid(new Uint8Array(15)), RangeError);
});
