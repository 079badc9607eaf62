import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REFUSAL_CODES } from '../../src-main/core/refusal-codes.js';
import { isClawError } from '../../src-main/core/errors.js';
import {
  decodeDataPieces,
  decodeFrame,
  encodeFrame,
  FrameType,
  MAX_OPEN_ARGS_BYTES,
  MAX_REASON_BYTES,
  MUX_VERSION,
  type MuxFrame,
} from '../../src-main/protocol/mux-frames.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = fuzzRuns();

const streamId = fc.integer({ min: 1, max: 0xffff_ffff });
const reason = fc.string({ unit: 'grapheme', maxLength: 140 });
const args = fc
  .jsonValue({ maxDepth: 3 })
  .filter((v) => Buffer.byteLength(JSON.stringify(v) ?? 'null') <= MAX_OPEN_ARGS_BYTES);
const refusalCode = fc.constantFrom(...REFUSAL_CODES);
const nonce = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

/** Any valid frame. */
const frameArb: fc.Arbitrary<MuxFrame> = fc.oneof(
  fc.record({
    type: fc.constant(FrameType.Open),
    streamId,
    service: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/),
    args,
  }),
  fc.record({ type: fc.constant(FrameType.Accept), streamId }),
  fc.record({ type: fc.constant(FrameType.Reject), streamId, code: refusalCode, reason }),
  fc.record({
    type: fc.constant(FrameType.Data),
    streamId,
    payload: fc.uint8Array({ minLength: 1, maxLength: 2048 }),
  }),
  fc.record({
    type: fc.constant(FrameType.Window),
    streamId,
    increment: fc.integer({ min: 1, max: 0x7fff_ffff }),
  }),
  fc.record({ type: fc.constant(FrameType.Fin), streamId }),
  fc.record({ type: fc.constant(FrameType.Rst), streamId, code: refusalCode, reason }),
  fc.record({ type: fc.constant(FrameType.Ping), streamId: fc.constant(0 as const), nonce }),
  fc.record({ type: fc.constant(FrameType.Pong), streamId: fc.constant(0 as const), nonce }),
  fc.record({ type: fc.constant(FrameType.GoAway), streamId: fc.constant(0 as const), reason }),
  fc.record({
    type: fc.constant(FrameType.Acked),
    streamId,
    offset: fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  }),
);

/** Decoding must either succeed or throw a ClawError with a frame code — nothing else, ever. */
function decodeOrClawError(bytes: Uint8Array): void {
  try {
    decodeFrame(bytes);
  } catch (err) {
    if (!isClawError(err, 'BAD_FRAME') && !isClawError(err, 'FRAME_TOO_LARGE')) throw err;
    assert.ok(
      err.message.length > 0 && !err.message.includes('\n'),
      "err.message.length > 0 && !err.message.includes('\\n')",
    );
  }
}

test('property: random bytes decode or throw BAD_FRAME / FRAME_TOO_LARGE', { timeout: 60_000 }, () => {
  // Half the inputs start with a plausible header so the body checks are reached, not just the version.
  const plausible = fc
    .tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 300 }))
    .map(([type, id, body]) => Uint8Array.from([MUX_VERSION, type, 0, 0, 0, id, ...body]));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), plausible), decodeOrClawError), {
    numRuns: RUNS,
  });
});

test(
  'property: mutated valid frames (flipped, cut, extended) never throw anything else',
  { timeout: 60_000 },
  () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
    );
    fc.assert(
      fc.property(frameArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        let bytes = Uint8Array.from(encodeFrame(frame));
        for (const m of mutations) {
          if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
          if (m.kind === 'cut') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
          if (m.kind === 'extend') bytes = Uint8Array.from([...bytes, ...m.extra]);
        }
        decodeOrClawError(bytes);
      }),
      { numRuns: RUNS },
    );
  },
);

test('property: encode → decode round-trips every valid frame', { timeout: 60_000 }, () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const back = decodeFrame(encodeFrame(frame));
      assert.equal(back.type, frame.type);
      assert.equal(back.streamId, frame.streamId);
      if (frame.type === FrameType.Data && back.type === FrameType.Data) {
        assert.deepEqual(Uint8Array.from(back.payload), frame.payload);
      } else if (frame.type === FrameType.Open && back.type === FrameType.Open) {
        assert.equal(back.service, frame.service);
        assert.deepEqual(back.args, JSON.parse(JSON.stringify(frame.args) ?? 'null'));
      } else if ('reason' in frame && 'reason' in back) {
        // Reasons over the limit are cut on a character boundary: the result is a prefix that fits.
        assert.ok(frame.reason.startsWith(back.reason), 'frame.reason.startsWith(back.reason)');
        assert.ok(
          Buffer.byteLength(back.reason) <= MAX_REASON_BYTES,
          'Buffer.byteLength(back.reason) <= MAX_REASON_BYTES',
        );
        if (Buffer.byteLength(frame.reason) <= MAX_REASON_BYTES) assert.equal(back.reason, frame.reason);
      } else {
        assert.deepEqual(back, { ...frame }); // fc.record builds null-prototype objects
      }
    }),
    { numRuns: RUNS },
  );
});

test('property: a frame in pieces decodes as the joined frame would; DATA keeps its pieces, uncopied', () => {
  const bytes = fc.oneof(
    frameArb.map((f) => Buffer.from(encodeFrame(f))),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  );
  fc.assert(
    fc.property(bytes, fc.array(fc.nat(), { maxLength: 6 }), (whole, cuts) => {
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
      const pieces: Buffer[] = [];
      let prev = 0;
      for (const p of [...points, whole.length]) {
        pieces.push(whole.subarray(prev, p));
        prev = p;
      }
      let joined: MuxFrame | undefined;
      try {
        joined = decodeFrame(whole);
      } catch {
        joined = undefined;
      }
      const data = decodeDataPieces(pieces);
      if (data === undefined) {
        // Not decoded in pieces: the caller joins them, and decodeFrame decides (maybe a DATA frame
        // whose header was split).
        if (joined?.type === FrameType.Data) assert.ok(pieces[0]!.length < 6, 'pieces[0]!.length < 6');
        return;
      }
      assert.ok(joined && joined.type === FrameType.Data, 'only valid DATA frames decode in pieces');
      assert.equal(data.streamId, joined.streamId);
      assert.deepEqual(Buffer.concat(data.payload), Buffer.from(joined.payload));
      for (const p of data.payload) assert.equal(p.buffer, whole.buffer);
    }),
    { numRuns: RUNS },
  );
});
