/** First data with the OPEN (mux/early-data.ts, ADR 0024): the opener's side, the acceptor's hold, the limit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isClawError } from '../../../src-main/core/errors.js';
import { EARLY_DATA_BYTES } from '../../../src-main/mux/early-data.js';
import { Mux, type MuxStream, type StreamRequest } from '../../../src-main/mux/mux.js';
import { FrameType, INITIAL_STREAM_WINDOW, MAX_DATA_PAYLOAD } from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { closeOf, RawPeer, readAll, settle } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

/** A mux on `a` (opener) and one on `b` that hands each request to the test instead of answering. */
function heldPair() {
  const { a, b } = createLinkPair({ highWaterMark: 64 * 1024 * 1024 });
  const requests: StreamRequest[] = [];
  const ma = new Mux(a);
  const mb = new Mux(b, { onStream: (req) => void requests.push(req) });
  return { a, b, ma, mb, requests };
}

test('early bytes go before the ACCEPT, are held, and reach the service first on accept', async () => {
  const { a, ma, mb, requests } = heldPair();
  const source = new PassThrough();
  source.write('GET / HTTP/1.1\r\n\r\n');
  const framesBefore = a.stats.framesSent;
  const opening = ma.open('echo', null, { early: source });
  await until('the OPEN arrived', () => requests.length === 1);
  await settle(3);
  assert.equal(a.stats.framesSent - framesBefore >= 2, true, 'OPEN and DATA went before any answer');
  source.write('more'); // still unanswered: goes early too
  await settle(3);
  const accepted: MuxStream = requests[0]!.accept();
  const s = await opening;
  assert.equal(s.bytesOut, 22, 'the early bytes count as sent on the opener stream');
  s.end(' after');
  assert.equal((await readAll(accepted)).toString(), 'GET / HTTP/1.1\r\n\r\nmore after');
  assert.equal(source.readableLength, 0, 'nothing left in the source');
  assert.equal(mb.closed, false);
  ma.close();
  mb.close();
});

test('a REJECT drops the held bytes; the opener sees the refusal and gets its bytes back in the source', async () => {
  const { ma, mb, requests } = heldPair();
  const source = new PassThrough();
  source.write('secret request');
  const opening = ma.open('echo', null, { early: source });
  await until('the OPEN arrived', () => requests.length === 1);
  await settle(3);
  requests[0]!.reject('PERMISSION_DENIED', 'no');
  await assert.rejects(
    opening,
    (err: unknown) => isClawError(err, 'STREAM_REJECTED') && err.refusal === 'PERMISSION_DENIED',
  );
  assert.equal(String(source.read()), 'secret request', 'the early bytes are back in the source');
  // The link is fine: a later stream opens and carries bytes.
  const next = ma.open('echo', null);
  await until('second OPEN', () => requests.length === 2);
  const r = requests[1]!.accept();
  (await next).end('x');
  assert.equal((await readAll(r)).toString(), 'x');
  ma.close();
  mb.close();
});

test('the opener sends at most EARLY_DATA_BYTES before the ACCEPT; the rest follows on the stream', async () => {
  const { ma, mb, requests } = heldPair();
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const payload = Buffer.alloc(EARLY_DATA_BYTES + 10_000, 7);
  source.write(payload);
  const opening = ma.open('echo', null, { early: source });
  await until('the OPEN arrived', () => requests.length === 1);
  await settle(3);
  assert.equal(source.readableLength, 10_000, 'what did not fit stays in the source');
  const r = requests[0]!.accept();
  const s = await opening;
  assert.equal(s.bytesOut, EARLY_DATA_BYTES);
  source.end();
  source.pipe(s);
  assert.deepEqual(await readAll(r), payload);
  ma.close();
  mb.close();
});

test('the acceptor holds early DATA up to the initial credit; one byte more closes the link', async () => {
  const { a, b } = createLinkPair({ highWaterMark: 64 * 1024 * 1024 });
  const raw = new RawPeer(a);
  const mux = new Mux(b, { onStream: () => undefined }); // never answers
  const closed = closeOf(mux);
  raw.send({ type: FrameType.Open, streamId: 1, service: 'x', args: null });
  for (let sent = 0; sent < INITIAL_STREAM_WINDOW; sent += MAX_DATA_PAYLOAD) {
    raw.send({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(MAX_DATA_PAYLOAD) });
  }
  await settle(3);
  assert.equal(mux.closed, false, 'the whole initial window is allowed');
  raw.send({ type: FrameType.Data, streamId: 1, payload: new Uint8Array(1) });
  const { error } = await closed;
  assert.ok(isClawError(error, 'PROTOCOL'), "isClawError(error, 'PROTOCOL')");
  assert.match(error.message, /262145 bytes of DATA on stream 1 before it was accepted/);
});

test('an RST before the answer drops the held bytes; a later accept() throws STREAM_RESET', async () => {
  const { a, b } = createLinkPair();
  const raw = new RawPeer(a);
  const requests: StreamRequest[] = [];
  const mux = new Mux(b, { onStream: (req) => void requests.push(req) });
  raw.send({ type: FrameType.Open, streamId: 1, service: 'x', args: null });
  raw.send({ type: FrameType.Data, streamId: 1, payload: Buffer.from('abc') });
  raw.send({ type: FrameType.Rst, streamId: 1, code: 'TIMEOUT', reason: 'open timed out' });
  raw.send({ type: FrameType.Data, streamId: 1, payload: Buffer.from('late') }); // crossed the RST: dropped
  await settle(3);
  assert.throws(
    () => requests[0]!.accept(),
    (err: unknown) => isClawError(err, 'STREAM_RESET'),
  );
  assert.equal(mux.closed, false);
  mux.close();
});

test('without an early source nothing goes before the ACCEPT (an old peer never sees early DATA)', async () => {
  const { a, b } = createLinkPair();
  const raw = new RawPeer(b);
  const mux = new Mux(a);
  void mux.open('x', null).catch(() => undefined);
  await settle(3);
  assert.equal(raw.ofType(FrameType.Open).length, 1);
  assert.equal(raw.ofType(FrameType.Data).length, 0);
  mux.close();
});
