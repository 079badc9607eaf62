/**
 * Message frames under fast-check: every frame round-trips; random bytes, and valid frames mutated,
 * decode or fail with a MessageFrameError, never another exception; whatever decodes re-encodes to
 * the same bytes (one encoding per frame).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatUuid } from '../../src-main/core/uuid-v7.js';
import { LengthPrefixedDecoder, encodeLengthPrefixed } from '../../src-main/protocol/length-prefixed.js';
import {
  decodeMessageFrame,
  encodeMessageFrame,
  MAX_IDS_PER_FRAME,
  MAX_MESSAGE_FRAME_BYTES,
  MAX_MESSAGE_TTL_MS,
  MESSAGE_PROTOCOL_VERSION,
  MESSAGE_REFUSAL_CODES,
  MessageFrameError,
  MessageFrameType,
  MIN_MESSAGE_TTL_MS,
  type MessageFrame,
} from '../../src-main/protocol/message-frames.js';
import { mutate, mutation } from '../helpers/byte-mutations.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const RUNS = fuzzRuns();

const id = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  return formatUuid(b);
});
const topic = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._\-/:]{0,63}$/);
const reason = fc
  .string({ maxLength: 60 })
  .filter((s) => !/[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202a-\u202e\u2066-\u2069]/u.test(s));
const ids = fc.array(id, { minLength: 1, maxLength: 40 });

const msg = fc
  .record({
    id,
    topic,
    ttlMs: fc.integer({ min: MIN_MESSAGE_TTL_MS, max: MAX_MESSAGE_TTL_MS }),
    replyTo: fc.option(id, { nil: undefined }),
    error: fc.boolean(),
    content: fc.oneof(
      fc.string({ maxLength: 200 }).map((s) => ({ text: true, body: new Uint8Array(Buffer.from(s)) })),
      fc.uint8Array({ maxLength: 200 }).map((b) => ({ text: false, body: b })),
    ),
  })
  .map(({ id, topic, ttlMs, replyTo, error, content }): MessageFrame => {
    const f: MessageFrame = { type: 'msg', id, topic, ttlMs, text: content.text, body: content.body };
    if (replyTo !== undefined) {
      f.replyTo = replyTo;
      if (error) f.error = true;
    }
    return f;
  });

/** fast-check's records have no prototype; decoded frames are plain objects. */
const plain = <T extends object>(r: T): T => ({ ...r });
const frame: fc.Arbitrary<MessageFrame> = fc.oneof(
  msg,
  fc
    .record({
      type: fc.constant('hello' as const),
      version: fc.nat({ max: 255 }),
      maxBodyBytes: fc.nat({ max: 0xffff_ffff }),
    })
    .map(plain),
  fc
    .record({ type: fc.constantFrom('delivered' as const, 'read' as const, 'want-read' as const), ids })
    .map(plain),
  fc
    .record({
      type: fc.constant('refused' as const),
      id,
      code: fc.constantFrom(...MESSAGE_REFUSAL_CODES),
      reason,
    })
    .map(plain),
  fc.record({ type: fc.constantFrom('room' as const, 'resume' as const, 'resumed' as const) }).map(plain),
);

/** Decodes, allowing only the parser's own error (one line, a message that says something). */
function decodeOrFrameError(bytes: Uint8Array): MessageFrame | undefined {
  try {
    return decodeMessageFrame(bytes);
  } catch (err) {
    assert.ok(err instanceof MessageFrameError, `threw ${String(err)}`);
    assert.ok(
      err.message.length > 0 && !err.message.includes('\n'),
      "err.message.length > 0 && !err.message.includes('\\n')",
    );
    return undefined;
  }
}

test('property: every frame round-trips through encode/decode', () => {
  fc.assert(
    fc.property(frame, (f) => {
      assert.deepEqual(decodeMessageFrame(encodeMessageFrame(f)), f);
    }),
    { numRuns: RUNS },
  );
});

test('property: frames cut anywhere into chunks come out of the length-prefixed decoder whole and in order', () => {
  fc.assert(
    fc.property(
      fc.array(frame, { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (frames, cuts) => {
        const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(encodeMessageFrame(f))));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        const decoder = new LengthPrefixedDecoder(MAX_MESSAGE_FRAME_BYTES);
        const out: MessageFrame[] = [];
        let at = 0;
        for (const p of [...points, wire.length]) {
          for (const payload of decoder.push(wire.subarray(at, p))) out.push(decodeMessageFrame(payload));
          at = p;
        }
        assert.deepEqual(out, frames);
      },
    ),
    { numRuns: Math.ceil(RUNS / 10) },
  );
});

test('property: random bytes decode or fail with a MessageFrameError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      decodeOrFrameError(bytes);
    }),
    { numRuns: RUNS },
  );
});

test('property: random bodies behind a valid header of every type fail cleanly or decode canonically', () => {
  const types = Object.values(MessageFrameType);
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 300 }), (type, body) => {
      const bytes = Buffer.concat([Uint8Array.of(MESSAGE_PROTOCOL_VERSION, type), body]);
      const decoded = decodeOrFrameError(bytes);
      // A refusal code this side does not know decodes as UNSPECIFIED, on purpose (forward
      // compatible), so only those frames may re-encode differently.
      if (decoded && !(decoded.type === 'refused' && decoded.code === 'UNSPECIFIED')) {
        assert.deepEqual(encodeMessageFrame(decoded), bytes);
      }
    }),
    { numRuns: RUNS },
  );
});

test('property: mutated valid frames (flipped, cut, extended, spliced) fail cleanly or decode canonically', () => {
  fc.assert(
    fc.property(frame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (f, mutations) => {
      let bytes: Uint8Array = encodeMessageFrame(f);
      for (const m of mutations) if (bytes.length > 0) bytes = mutate(bytes, m);
      const decoded = decodeOrFrameError(bytes);
      if (decoded && !(decoded.type === 'refused' && decoded.code === 'UNSPECIFIED')) {
        assert.deepEqual(encodeMessageFrame(decoded), Buffer.from(bytes));
      }
    }),
    { numRuns: RUNS },
  );
});

test('the largest receipt frame decodes (the limits agree with each other)', () => {
  const all = Array.from({ length: MAX_IDS_PER_FRAME }, (_, i) =>
    formatUuid(Uint8Array.of(0, 0, 0, 0, 0, i & 0xff, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0)),
  );
  assert.equal(
    (decodeMessageFrame(encodeMessageFrame({ type: 'read', ids: all })) as { ids: string[] }).ids.length,
    MAX_IDS_PER_FRAME,
  );
});
