import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError, type ErrorCode } from '../../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import {
  FrameType,
  INITIAL_STREAM_WINDOW,
  MAX_DATA_PAYLOAD,
  MAX_STREAM_WINDOW,
  type MuxFrame,
} from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { closeOf, errorOf, RawPeer, settle } from './mux-fixtures.js';

/** A Mux on `b` (responder, accepts everything) facing a hand-driven raw peer on `a` (initiator, odd IDs). */
function rawSetup() {
  const { a, b } = createLinkPair({ highWaterMark: 64 * 1024 * 1024 });
  const raw = new RawPeer(a);
  const accepted: MuxStream[] = [];
  const mux = new Mux(b, { onStream: (req) => accepted.push(req.accept()) });
  return { a, b, raw, mux, accepted };
}

const open = (streamId: number): MuxFrame => ({ type: FrameType.Open, streamId, service: 'x', args: null });
const data = (streamId: number, size: number): MuxFrame => ({
  type: FrameType.Data,
  streamId,
  payload: new Uint8Array(size),
});

/** Sends `frames` from the raw peer, then expects the mux to fail closed with `code` and `pattern`. */
async function expectFailClosed(
  frames: (MuxFrame | Uint8Array)[],
  code: ErrorCode,
  pattern: RegExp,
): Promise<void> {
  const { b, raw, mux, accepted } = rawSetup();
  const closed = closeOf(mux);
  const streamErrors: Promise<Error>[] = [];
  for (const f of frames) {
    if (f instanceof Uint8Array) raw.sendBytes(f);
    else raw.send(f);
    await settle(2);
    for (const s of accepted.splice(0)) streamErrors.push(errorOf(s));
  }
  const { error } = await closed;
  assert.ok(isClawError(error, code), `expected ${code}, got ${String(error)}`);
  assert.match(error.message, pattern);
  assert.match(error.message, /\(from peer aaaaaaaa\); closing the link$/);
  assert.equal(b.closed, true, 'the link is closed (fail closed)');
  assert.deepEqual(b.listenerErrors, [], 'nothing was thrown out of the frame listener');
  for (const err of await Promise.all(streamErrors)) assert.equal(err, error);
  await settle(2);
  const goaway = raw.ofType(FrameType.GoAway);
  assert.equal(goaway.length, 1, 'the peer is told why');
  assert.match(goaway[0]!.reason, pattern);
}

const CASES: [string, (MuxFrame | Uint8Array)[], ErrorCode, RegExp][] = [
  [
    'garbage bytes',
    [Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 0, 0)],
    'BAD_FRAME',
    /version 222 is not supported/,
  ],
  ['a truncated header', [Uint8Array.of(1, 4)], 'BAD_FRAME', /shorter than the 6-byte header/],
  [
    'an OPEN with this side’s parity',
    [open(2)],
    'PROTOCOL',
    /OPEN for stream 2, an ID of this side's parity/,
  ],
  ['a reused stream ID', [open(5), open(3)], 'PROTOCOL', /OPEN for stream 3, not above the last one \(5\)/],
  ['DATA for a stream never opened', [data(7, 1)], 'PROTOCOL', /DATA for stream 7, which was never opened/],
  [
    'WINDOW for a stream never opened',
    [{ type: FrameType.Window, streamId: 4, increment: 1 }],
    'PROTOCOL',
    /never opened/,
  ],
  [
    'DATA beyond the credit granted',
    [
      open(1),
      ...Array.from({ length: INITIAL_STREAM_WINDOW / MAX_DATA_PAYLOAD }, () => data(1, MAX_DATA_PAYLOAD)),
      data(1, 1),
    ],
    'PROTOCOL',
    /262145 bytes on stream 1, over the 262144 bytes of credit granted/,
  ],
  [
    'DATA after FIN',
    [open(1), { type: FrameType.Fin, streamId: 1 }, data(1, 1)],
    'PROTOCOL',
    /DATA on stream 1 after the peer's FIN/,
  ],
  [
    'a second FIN',
    [open(1), { type: FrameType.Fin, streamId: 1 }, { type: FrameType.Fin, streamId: 1 }],
    'PROTOCOL',
    /second FIN on stream 1/,
  ],
  [
    'ACCEPT for an open stream',
    [open(1), { type: FrameType.Accept, streamId: 1 }],
    'PROTOCOL',
    /ACCEPT on stream 1, which is already open/,
  ],
  [
    'credit above the maximum window',
    [open(1), { type: FrameType.Window, streamId: 1, increment: MAX_STREAM_WINDOW }],
    'PROTOCOL',
    /raises credit to 17039360 bytes, over the 16777216-byte maximum/,
  ],
];

for (const [name, frames, code, pattern] of CASES) {
  test(`fail closed on ${name}`, () => expectFailClosed(frames, code, pattern));
}

test('fail closed on DATA before ACCEPT (the opener side)', async () => {
  const { a, b } = createLinkPair();
  const raw = new RawPeer(b); // raw responder
  const mux = new Mux(a);
  const closed = closeOf(mux);
  const opening = mux.open('x', {}).catch((err: unknown) => err);
  await settle(2);
  raw.send(data(1, 3));
  const { error } = await closed;
  assert.ok(isClawError(error, 'PROTOCOL'), "isClawError(error, 'PROTOCOL')");
  assert.match(error.message, /DATA on stream 1 before ACCEPT/);
  assert.equal(await opening, error);
  assert.deepEqual(a.listenerErrors, []);
});

// DATA there is early data, held within the initial credit (early-data.test.ts); a FIN is not.
test('fail closed on FIN for a stream waiting to be accepted', async () => {
  const { a, b } = createLinkPair();
  const raw = new RawPeer(a);
  const mux = new Mux(b, { onStream: () => undefined }); // never answers
  const closed = closeOf(mux);
  raw.send(open(1));
  raw.send({ type: FrameType.Fin, streamId: 1 });
  const { error } = await closed;
  assert.match(String(error?.message), /FIN on stream 1 before it was accepted/);
});

test('frames for finished streams are dropped, not fatal (they cross an RST on the wire)', async () => {
  const { b, raw, mux, accepted } = rawSetup();
  raw.send(open(1));
  await settle(2);
  const s = accepted[0]!;
  const failed = errorOf(s);
  raw.send({ type: FrameType.Rst, streamId: 1, code: 'CANCELLED', reason: 'bye' });
  raw.send(data(1, 10));
  raw.send({ type: FrameType.Window, streamId: 1, increment: 10 });
  raw.send({ type: FrameType.Fin, streamId: 1 });
  assert.ok(isClawError(await failed, 'STREAM_RESET'), "isClawError(await failed, 'STREAM_RESET')");
  await settle(5);
  assert.equal(mux.closed, false);
  raw.send({ type: FrameType.Ping, streamId: 0, nonce: 42n });
  await settle(5);
  assert.deepEqual(
    raw.ofType(FrameType.Pong).map((f) => f.nonce),
    [42n],
    'still answering PINGs',
  );
  assert.deepEqual(b.listenerErrors, []);
  mux.close();
});

test('a REJECT or RST for an opening stream rejects open(); unknown PONGs are ignored', async () => {
  const { a, b } = createLinkPair();
  const raw = new RawPeer(b);
  const mux = new Mux(a);
  const first = mux.open('x', {});
  const second = mux.open('y', {});
  await settle(2);
  raw.send({ type: FrameType.Reject, streamId: 1, code: 'UNSPECIFIED', reason: '' });
  raw.send({ type: FrameType.Rst, streamId: 3, code: 'SERVICE_FAILED', reason: 'crashed' });
  raw.send({ type: FrameType.Pong, streamId: 0, nonce: 999n });
  await assert.rejects(
    first,
    (err: unknown) =>
      isClawError(err, 'STREAM_REJECTED') &&
      err.refusal === 'UNSPECIFIED' &&
      err.message === 'peer refused the "x" stream',
  );
  await assert.rejects(
    second,
    (err: unknown) =>
      isClawError(err, 'STREAM_REJECTED') && err.refusal === 'SERVICE_FAILED' && err.message === 'crashed',
  );
  assert.equal(mux.closed, false);
  mux.close();
});
