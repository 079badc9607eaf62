import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../../src-main/protocol/length-prefixed.js';
import { isClawError } from '../../src-main/core/errors.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const MAX = 4096;

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Up to 8 frames, and up to 20 places to cut their encoding into chunks (splitAt). */
const frameLists = fc.array(fc.uint8Array({ maxLength: MAX }), { maxLength: 8 });
const cutLists = fc.array(fc.nat(), { maxLength: 20 });

test('property: any chunking of encoded frames decodes to the same frames', () => {
  fc.assert(
    fc.property(frameLists, cutLists, (frames, cuts) => {
      const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f)));
      const dec = new LengthPrefixedDecoder(MAX);
      const got = splitAt(wire, cuts).flatMap((c) => dec.push(c));
      assert.deepEqual(
        got.map((g) => Buffer.from(g).toString('hex')),
        frames.map((f) => Buffer.from(f).toString('hex')),
      );
      assert.equal(dec.pendingBytes, 0);
    }),
    { numRuns: fuzzRuns() },
  );
});

test('property: pushPieces gives the same frames as push, as views of the chunks, without copying', () => {
  fc.assert(
    fc.property(frameLists, cutLists, (frames, cuts) => {
      const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f)));
      const chunks = splitAt(wire, cuts);
      const dec = new LengthPrefixedDecoder(MAX);
      const got = chunks.flatMap((c) => dec.pushPieces(c));
      assert.deepEqual(
        got.map((pieces) => Buffer.concat(pieces).toString('hex')),
        frames.map((f) => Buffer.from(f).toString('hex')),
      );
      // Every non-empty piece is a view of the wire's memory: nothing was copied.
      for (const piece of got.flat()) {
        if (piece.length > 0) assert.equal(piece.buffer, wire.buffer);
      }
      assert.equal(dec.pendingBytes, 0);
    }),
    { numRuns: fuzzRuns() },
  );
});

test('property: every byte of the wire is either in a frame piece or a length header handed to `consumed`, once', () => {
  fc.assert(
    fc.property(frameLists, cutLists, (frames, cuts) => {
      const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f)));
      const owner = new Int32Array(wire.length);
      const mark = (piece: Buffer) => {
        for (let i = 0; i < piece.length; i++) owner[piece.byteOffset - wire.byteOffset + i]! += 1;
      };
      const dec = new LengthPrefixedDecoder(MAX, mark);
      for (const c of splitAt(wire, cuts)) for (const pieces of dec.pushPieces(c)) pieces.forEach(mark);
      // Header bytes are counted by `consumed`, payload bytes by their frame: each exactly once.
      assert.ok(
        owner.every((n) => n === 1),
        'owner.every((n) => n === 1)',
      );
    }),
    { numRuns: fuzzRuns() },
  );
});

test('property: random bytes never crash, never buffer past one frame', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 10 }), (chunks) => {
      const dec = new LengthPrefixedDecoder(MAX);
      try {
        for (const c of chunks) {
          dec.push(Buffer.from(c));
          assert.ok(dec.pendingBytes <= MAX + 4 + 600, 'dec.pendingBytes <= MAX + 4 + 600');
        }
      } catch (err) {
        assert.ok(isClawError(err, 'FRAME_TOO_LARGE'), "isClawError(err, 'FRAME_TOO_LARGE')");
      }
    }),
    { numRuns: fuzzRuns() },
  );
});

test('an oversized header is refused before its body arrives', () => {
  const dec = new LengthPrefixedDecoder(MAX);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(MAX + 1);
  assert.throws(() => dec.push(head), /exceeds the limit of 4096 bytes/);
});
