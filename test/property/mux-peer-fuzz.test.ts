import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REFUSAL_CODES } from '../../src-main/core/refusal-codes.js';
import { isClawError } from '../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import { encodeFrame, FrameType, type MuxFrame } from '../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../helpers/link-pair.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

// Small stream IDs so random frames hit real stream states (open, half-closed, reset, never opened).
const id = fc.integer({ min: 1, max: 6 });
const reason = fc.string({ maxLength: 20 });
const refusalCode = fc.constantFrom(...REFUSAL_CODES);
const frame: fc.Arbitrary<MuxFrame> = fc.oneof(
  fc.record({
    type: fc.constant(FrameType.Open),
    streamId: id,
    service: fc.constantFrom('a', 'b'),
    args: fc.jsonValue({ maxDepth: 1 }),
  }),
  fc.record({ type: fc.constant(FrameType.Accept), streamId: id }),
  fc.record({ type: fc.constant(FrameType.Reject), streamId: id, code: refusalCode, reason }),
  fc.record({
    type: fc.constant(FrameType.Data),
    streamId: id,
    payload: fc.uint8Array({ minLength: 1, maxLength: 70_000 }),
  }),
  fc.record({
    type: fc.constant(FrameType.Window),
    streamId: id,
    increment: fc.integer({ min: 1, max: 0x7fff_ffff }),
  }),
  fc.record({ type: fc.constant(FrameType.Fin), streamId: id }),
  fc.record({ type: fc.constant(FrameType.Rst), streamId: id, code: refusalCode, reason }),
  fc.record({
    type: fc.constant(FrameType.Ping),
    streamId: fc.constant(0 as const),
    nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  fc.record({
    type: fc.constant(FrameType.Pong),
    streamId: fc.constant(0 as const),
    nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  fc.record({ type: fc.constant(FrameType.GoAway), streamId: fc.constant(0 as const), reason }),
);
/** Mostly well-formed frames in random order, some raw garbage. */
const input = fc.oneof(
  { weight: 9, arbitrary: frame.map((f) => encodeFrame(f)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

const EXPECTED_CODES = new Set(['BAD_FRAME', 'FRAME_TOO_LARGE', 'PROTOCOL', 'LINK_CLOSED']);

test(
  'property: a Mux facing random frames never throws out of the link and fails only with ClawErrors',
  { timeout: 120_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(input, { maxLength: 30 }), fc.boolean(), async (frames, initiator) => {
        const { a, b } = createLinkPair();
        const [muxLink, rawLink] = initiator ? [a, b] : [b, a];
        const streams: MuxStream[] = [];
        const streamErrors: unknown[] = [];
        const mux = new Mux(muxLink, {
          onStream: (req) => {
            const s = req.accept();
            s.on('error', (err) => streamErrors.push(err));
            s.resume();
            streams.push(s);
          },
        });
        // The mux also opens streams of its own, so ACCEPT/REJECT/DATA on its IDs meet real state.
        const opens = [mux.open('x', null), mux.open('y', null)].map((p) =>
          p.then(
            (s) => (s.on('error', (err) => streamErrors.push(err)), s.resume(), undefined),
            (err: unknown) => void streamErrors.push(err),
          ),
        );
        let closeError: Error | undefined;
        let closed = false;
        mux.on('close', (err) => ((closed = true), (closeError = err)));
        for (const bytes of frames) muxLink.inject(bytes); // synchronous delivery, as from the peer
        assert.deepEqual(muxLink.listenerErrors, [], 'nothing escaped the frame listener');
        if (closed) {
          assert.ok(closeError && isClawError(closeError), `closed with ${String(closeError)}`);
          assert.ok(EXPECTED_CODES.has(closeError.code), closeError.code);
          assert.equal(muxLink.closed, true, 'a failed mux closes its link');
        }
        mux.close('run over');
        void rawLink;
        await Promise.all(opens);
        await new Promise((r) => setImmediate(r)); // stream 'error' events are emitted on a later tick
        assert.ok(
          streams.every((s) => s.destroyed),
          'no stream outlives its mux',
        );
        for (const err of streamErrors) {
          assert.ok(isClawError(err), `stream failed with a non-ClawError: ${String(err)}`);
        }
      }),
      { numRuns: fuzzRuns() },
    );
  },
);
