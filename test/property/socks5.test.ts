/**
 * SOCKS5 decoders under fast-check: every message round-trips and each proper prefix asks for more;
 * random and mutated bytes never throw, never claim bytes they were not given, and ask for more only
 * below the message's size limit (so a client cannot make the server buffer without bound).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeGreeting,
  decodeReply,
  decodeRequest,
  decodeUserPass,
  encodeGreeting,
  encodeReply,
  encodeRequest,
  encodeUserPass,
  formatIPv6,
  MAX_GREETING_BYTES,
  MAX_REQUEST_BYTES,
  MAX_USER_PASS_BYTES,
  parseIPv6,
  type Decoded,
  type SocksAddress,
} from '../../src-main/protocol/socks5.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

/** Decoders get at least this many runs (preamble rule). */
const RUNS = fuzzRuns();

const nameChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:');
const address: fc.Arbitrary<SocksAddress> = fc
  .oneof(
    fc.record({
      type: fc.constant('ipv4' as const),
      host: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.')),
      port: fc.nat(65535),
    }),
    fc.record({
      type: fc.constant('ipv6' as const),
      host: fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIPv6),
      port: fc.nat(65535),
    }),
    fc.record({
      type: fc.constant('domain' as const),
      host: fc.string({ unit: nameChars, minLength: 1, maxLength: 255 }),
      port: fc.nat(65535),
    }),
  )
  .map((a) => ({ ...a })); // plain objects: fc.record's have a null prototype, which deepEqual tells apart

/** Checks what holds for any decoder result on any input. */
function sane<T>(d: Decoded<T>, input: Uint8Array, max: number): void {
  if (d.status === 'done')
    assert.ok(
      d.used > 0 && d.used <= input.length && d.used <= max,
      'd.used > 0 && d.used <= input.length && d.used <= max',
    );
  if (d.status === 'more') assert.ok(input.length < max, `asks for more after ${input.length} bytes`);
  if (d.status === 'invalid') assert.equal(typeof d.reason, 'string');
}

function prefixesAskForMore(bytes: Uint8Array, decode: (b: Uint8Array) => Decoded<unknown>): void {
  for (let i = 0; i < bytes.length; i++)
    assert.equal(decode(bytes.subarray(0, i)).status, 'more', `prefix ${i}`);
}

test('property: requests round-trip; trailing bytes are left alone; prefixes ask for more', () => {
  fc.assert(
    fc.property(fc.nat(255), address, fc.uint8Array({ maxLength: 8 }), (command, addr, tail) => {
      const bytes = encodeRequest({ command, address: addr });
      const d = decodeRequest(Buffer.concat([bytes, tail]));
      assert.deepEqual(d, { status: 'done', value: { command, address: addr }, used: bytes.length });
      prefixesAskForMore(bytes, decodeRequest);
    }),
    { numRuns: RUNS },
  );
});

test('property: greetings, username/password and replies round-trip', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(255), { minLength: 1, maxLength: 255 }),
      fc.string({ maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255),
      fc.string({ maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255),
      fc.nat(255),
      address,
      (methods, user, password, reply, bound) => {
        const g = encodeGreeting(methods);
        assert.deepEqual(decodeGreeting(g), { status: 'done', value: { methods }, used: g.length });
        prefixesAskForMore(g, decodeGreeting);
        const up = encodeUserPass(user, password);
        assert.deepEqual(decodeUserPass(up), { status: 'done', value: { user, password }, used: up.length });
        prefixesAskForMore(up, decodeUserPass);
        const r = encodeReply(reply, bound);
        assert.deepEqual(decodeReply(r), { status: 'done', value: { reply, bound }, used: r.length });
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: random bytes never throw and stay within the size limits', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (raw, asSocks) => {
      // Half the time start like a real message, so decoding gets past the version byte.
      const bytes = asSocks && raw.length > 0 ? Buffer.concat([Buffer.from([5]), raw.subarray(1)]) : raw;
      sane(decodeGreeting(bytes), bytes, MAX_GREETING_BYTES);
      sane(decodeRequest(bytes), bytes, MAX_REQUEST_BYTES);
      sane(decodeReply(bytes), bytes, MAX_REQUEST_BYTES);
      const up = asSocks && raw.length > 0 ? Buffer.concat([Buffer.from([1]), raw.subarray(1)]) : raw;
      sane(decodeUserPass(up), up, MAX_USER_PASS_BYTES);
    }),
    { numRuns: RUNS },
  );
});

test('property: a mutated request decodes to something sane, and a done result ignores what follows', () => {
  fc.assert(
    fc.property(
      fc.nat(255),
      address,
      fc.nat(),
      fc.nat(255),
      fc.uint8Array({ maxLength: 4 }),
      (command, addr, where, value, extra) => {
        const bytes = encodeRequest({ command, address: addr });
        bytes[where % bytes.length] = value;
        const d = decodeRequest(bytes);
        sane(d, bytes, MAX_REQUEST_BYTES);
        if (d.status === 'done') {
          assert.deepEqual(decodeRequest(Buffer.concat([bytes.subarray(0, d.used), extra])), d);
          if (d.value.address.type === 'domain') assert.match(d.value.address.host, /^[A-Za-z0-9._:-]+$/);
        }
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: IPv6 text is RFC 5952 (as WHATWG URL writes it) and parses back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(7), fc.nat(7), (bytes, from, len) => {
      // Zero runs of every length and place, which is where the `::` rule has cases.
      bytes.fill(0, from * 2, Math.min(16, (from + len) * 2));
      const text = formatIPv6(bytes);
      assert.equal(text, new URL(`http://[${text}]/`).hostname.slice(1, -1));
      assert.deepEqual([...parseIPv6(text)], [...bytes]);
    }),
    { numRuns: RUNS },
  );
});

test('IPv6 parsing: embedded IPv4, and what is not an address', () => {
  assert.equal(formatIPv6(parseIPv6('::ffff:1.2.3.4')), '::ffff:102:304');
  assert.equal(formatIPv6(parseIPv6('::1.2.3.4')), '::102:304');
  assert.equal(formatIPv6(parseIPv6('1:2:3:4:5:6:1.2.3.4')), '1:2:3:4:5:6:102:304');
  for (const bad of [
    '',
    ':',
    ':::',
    '1.2.3.4',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    ':1.2.3.4',
    '::1.2.3',
  ]) {
    assert.throws(() => parseIPv6(bad), RangeError, bad);
  }
});
