/** Datagram frames on a udp-connect stream: exact bytes, boundaries kept under any chunking, oversize refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';
import { isClawError } from '../../../src-main/core/errors.js';
import {
  encodeUdpFrame,
  MAX_UDP_DATAGRAM_BYTES,
  UdpFrameDecoder,
  writeUdpFrame,
} from '../../../src-main/protocol/udp-frames.js';

test('a frame is a u16 big-endian length and the datagram', () => {
  assert.deepEqual(encodeUdpFrame(Buffer.from('hi')), Buffer.from('00026869', 'hex'));
  assert.deepEqual(encodeUdpFrame(new Uint8Array(0)), Buffer.from('0000', 'hex'));
  const big = encodeUdpFrame(new Uint8Array(MAX_UDP_DATAGRAM_BYTES).fill(7));
  assert.equal(big.readUInt16BE(0), 65_507);
  assert.equal(big.length, 65_509);
});

test('frames written into one buffer sit back to back, each as encodeUdpFrame makes it', () => {
  const target = Buffer.alloc(10, 0xee);
  let at = writeUdpFrame(Buffer.from('hi'), target, 1);
  assert.equal(at, 5);
  at = writeUdpFrame(new Uint8Array(0), target, at);
  assert.equal(at, 7);
  assert.deepEqual(target, Buffer.from('ee000268690000eeeeee', 'hex'));
  assert.throws(() => writeUdpFrame(Buffer.from('abc'), target, 6), RangeError, 'does not fit');
  assert.deepEqual(target.subarray(7), Buffer.from('eeeeee', 'hex'), 'nothing written when it does not fit');
  assert.throws(
    () => writeUdpFrame(new Uint8Array(MAX_UDP_DATAGRAM_BYTES + 1), Buffer.alloc(70_000), 0),
    (err) => isClawError(err, 'FRAME_TOO_LARGE'),
  );
});

test('a datagram over 65,507 bytes is refused when encoding', () => {
  assert.throws(
    () => encodeUdpFrame(new Uint8Array(MAX_UDP_DATAGRAM_BYTES + 1)),
    (err) => isClawError(err, 'FRAME_TOO_LARGE'),
  );
});

test('a header announcing more than 65,507 bytes is refused when decoding, even cut in two', () => {
  for (const length of [65_508, 65_535]) {
    const head = Buffer.alloc(2);
    head.writeUInt16BE(length, 0);
    const d = new UdpFrameDecoder();
    assert.deepEqual(d.push(head.subarray(0, 1)), []);
    assert.throws(
      () => d.push(head.subarray(1)),
      (err) => isClawError(err, 'FRAME_TOO_LARGE'),
    );
  }
});

test('a partial frame is held and reported as buffered', () => {
  const d = new UdpFrameDecoder();
  assert.deepEqual(d.push(Buffer.from('0003616263', 'hex').subarray(0, 4)), []);
  assert.equal(d.buffered, 4);
  assert.deepEqual(d.push(Buffer.from('63', 'hex')), [Buffer.from('abc')]);
  assert.equal(d.buffered, 0);
});

test('decoded datagrams do not alias the chunk they came in', () => {
  const chunk = Buffer.concat([encodeUdpFrame(Buffer.from('ab')), encodeUdpFrame(Buffer.from('cd'))]);
  const [a] = new UdpFrameDecoder().push(chunk);
  chunk.fill(0);
  assert.deepEqual(a, Buffer.from('ab'));
});

/** Datagram sizes that matter: empty, tiny, around the MTU, and the largest, besides random ones. */
/**
 * Runs of the chunking property: each run frames up to 8 datagrams of up to 64 KiB and cuts them up, so
 * 10,000 runs took ~15 CPU-s of `npm test`; 1,000 there, 10,000 in `npm run fuzz` (FUZZ_RUNS / 10).
 */
const CHUNKING_RUNS = Math.max(100, Math.floor(fuzzRuns() / 10));
const datagram = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 64 }),
  fc.uint8Array({ minLength: 1100, maxLength: 1500 }),
  fc
    .constantFrom(0, 1, 255, 256, 65_506, 65_507)
    .map((n) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)),
);

test('property: any sequence of datagrams survives any chunking byte-exact, boundaries kept', () => {
  fc.assert(
    fc.property(
      fc.array(datagram, { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 16 }),
      (datagrams, cuts) => {
        const wire = Buffer.concat(datagrams.map((d) => encodeUdpFrame(d)));
        const decoder = new UdpFrameDecoder();
        const got: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < wire.length; i++) {
          const size = cuts[i % cuts.length]!;
          got.push(...decoder.push(wire.subarray(at, at + size)));
          at += size;
        }
        assert.equal(decoder.buffered, 0);
        assert.equal(got.length, datagrams.length);
        got.forEach((g, i) => assert.ok(Buffer.from(datagrams[i]!).equals(g), `datagram ${i} differs`));
      },
    ),
    { numRuns: CHUNKING_RUNS },
  );
});

test('property: every oversize datagram is refused, every one up to the limit is framed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 70_000 }), (n) => {
      const d = new Uint8Array(n);
      if (n > MAX_UDP_DATAGRAM_BYTES) {
        assert.throws(
          () => encodeUdpFrame(d),
          (err) => isClawError(err, 'FRAME_TOO_LARGE'),
        );
      } else {
        assert.equal(encodeUdpFrame(d).length, n + 2);
      }
    }),
    { numRuns: 10_000 },
  );
});

test('property: decoded datagrams do not alias the chunks, which the caller may reuse (ADR 0055)', () => {
  fc.assert(
    fc.property(
      fc.array(datagram, { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 16 }),
      (datagrams, cuts) => {
        const wire = Buffer.concat(datagrams.map((d) => encodeUdpFrame(d)));
        const decoder = new UdpFrameDecoder();
        const got: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < wire.length; i++) {
          const size = cuts[i % cuts.length]!;
          // The chunk is a buffer of its own that the caller overwrites once push returned.
          const chunk = Buffer.from(wire.subarray(at, at + size));
          got.push(...decoder.push(chunk));
          chunk.fill(0xee);
          at += size;
        }
        assert.equal(got.length, datagrams.length);
        got.forEach((g, i) => assert.ok(Buffer.from(datagrams[i]!).equals(g), `datagram ${i} differs`));
      },
    ),
    { numRuns: 2_000 },
  );
});
