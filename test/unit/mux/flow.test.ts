import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import { CREDIT_RETURN_DIVISOR, STREAM_WRITE_HIGH_WATER } from '../../../src-main/mux/constants.js';
import {
  decodeFrame,
  FrameType,
  INITIAL_STREAM_WINDOW,
  MAX_MUX_FRAME,
  MAX_STREAM_WINDOW,
} from '../../../src-main/protocol/mux-frames.js';
import type { MemoryLink } from '../../helpers/link-pair.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { muxPair, readAll, settle } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

const WINDOW = INITIAL_STREAM_WINDOW;
const HALF = WINDOW / CREDIT_RETURN_DIVISOR;

/** Counts DATA bytes and WINDOW increments per stream as frames arrive at `link` (before the mux sees them). */
function tap(link: MemoryLink) {
  const data = new Map<number, number>();
  const windows: { streamId: number; increment: number }[] = [];
  const order: { type: number; streamId: number }[] = [];
  link.onFrame((bytes) => {
    const f = decodeFrame(bytes);
    order.push({ type: f.type, streamId: f.streamId });
    if (f.type === FrameType.Data) data.set(f.streamId, (data.get(f.streamId) ?? 0) + f.payload.length);
    if (f.type === FrameType.Window) windows.push({ streamId: f.streamId, increment: f.increment });
  });
  return { data, windows, order };
}

test('credit: a reader that does not read stops the sender at exactly one window', async () => {
  const { a, b } = createLinkPair();
  const toB = tap(b);
  const toA = tap(a);
  const ma = new Mux(a);
  let r!: MuxStream;
  const mb = new Mux(b, { onStream: (req) => (r = req.accept()) });
  const s = await ma.open('bulk', {});
  const body = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < body.length; i++) body[i] = i % 251;
  s.end(body);
  await settle(30);
  assert.equal(toB.data.get(s.id), WINDOW, 'sender stopped at the window');
  assert.equal(r.readableLength, WINDOW);
  assert.equal(s.bytesOut, WINDOW);
  assert.equal(toA.windows.length, 0, 'no credit before the application reads');

  // Consuming just under half a window returns nothing; the byte that reaches half returns exactly half.
  const first = r.read(HALF - 1) as Buffer;
  await settle(5);
  assert.equal(toA.windows.length, 0);
  const second = r.read(1) as Buffer;
  await settle(5);
  assert.deepEqual(toA.windows, [{ streamId: s.id, increment: HALF }]);
  assert.equal(toB.data.get(s.id), WINDOW + HALF, 'the sender used exactly the new credit');

  // Drain the rest while checking the bound: bytes delivered but not consumed never exceed the window.
  const chunks = [first, second];
  let consumed = HALF;
  let maxBuffered = 0;
  while (consumed < body.length) {
    const c = r.read();
    if (c) {
      chunks.push(c);
      consumed += c.length;
    } else {
      await new Promise((res) => setImmediate(res));
    }
    maxBuffered = Math.max(maxBuffered, (toB.data.get(s.id) ?? 0) - consumed);
  }
  assert.ok(maxBuffered <= WINDOW, `buffered ${maxBuffered} > window`);
  assert.equal(Buffer.compare(Buffer.concat(chunks), body), 0);
  r.end();
  await readAll(s);
  ma.close();
  mb.close();
});

test('credit: a bigger streamWindow is granted right after the stream opens', async () => {
  const big = 1024 * 1024;
  const p = muxPair({ b: { streamWindow: big } });
  const toA = tap(p.a);
  const toB = tap(p.b);
  const s = await p.ma.open('bulk', {});
  s.write(Buffer.alloc(3 * big));
  await settle(30);
  assert.deepEqual(toA.windows, [{ streamId: s.id, increment: big - WINDOW }]);
  assert.equal(toB.data.get(s.id), big);
  assert.throws(
    () => new Mux(createLinkPair().a, { streamWindow: MAX_STREAM_WINDOW + 1 }),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  assert.throws(
    () => new Mux(createLinkPair().a, { streamWindow: WINDOW - 1 }),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  s.destroy();
  p.accepted[0]!.on('error', () => undefined);
  p.close();
});

test('link backpressure: DATA stops while the link refuses and resumes on drain; control frames still go', async () => {
  const hwm = 32 * 1024;
  const p = muxPair({ link: { highWaterMark: hwm, bytesPerTick: 16 * 1024 } });
  const s = await p.ma.open('bulk', {});
  const r = p.accepted[0]!;
  const body = Buffer.alloc(2 * 1024 * 1024, 9);
  const got = readAll(r, 10_000);
  s.write(body);
  assert.ok(p.a.stats.refusals > 0, 'the link refused');
  // Held: more writes add no DATA until the link drains, but a PING goes out at once.
  const before = p.a.stats.framesSent;
  s.write(Buffer.alloc(10));
  assert.equal(p.a.stats.framesSent, before, 'no DATA while the link is above its high-water mark');
  const rtt = p.ma.ping();
  assert.equal(p.a.stats.framesSent, before + 1, 'the PING was sent despite backpressure');
  s.end();
  assert.equal((await got).length, body.length + 10);
  assert.ok((await rtt) >= 0, '(await rtt) >= 0');
  // What the mux ever queued on the link: the high-water mark, one DATA frame that crossed it, small control frames.
  assert.ok(p.a.stats.maxQueuedBytes <= hwm + MAX_MUX_FRAME + 1024, `queued ${p.a.stats.maxQueuedBytes}`);
  r.end();
  await readAll(s);
  p.close();
});

test('both directions saturated over a tiny link buffer do not deadlock', async () => {
  const p = muxPair({ link: { highWaterMark: 1024, bytesPerTick: 8 * 1024 } });
  const s = await p.ma.open('bulk', {});
  const r = p.accepted[0]!;
  const one = Buffer.alloc(600_000, 1);
  const two = Buffer.alloc(600_000, 2);
  const [atR, atS] = [readAll(r, 10_000), readAll(s, 10_000)];
  s.end(one);
  r.end(two);
  assert.equal(Buffer.compare(await atR, one), 0);
  assert.equal(Buffer.compare(await atS, two), 0);
  p.close();
});

test('fairness: a keystroke is not stuck behind a bulk transfer (round robin per frame)', async () => {
  const p = muxPair({
    link: { highWaterMark: 64 * 1024, bytesPerTick: 64 * 1024 },
    b: { streamWindow: MAX_STREAM_WINDOW },
  });
  const toB = tap(p.b);
  const bulk = await p.ma.open('bulk', {});
  const shell = await p.ma.open('terminal', {});
  const bulkFrames = () =>
    toB.order.filter((f) => f.type === FrameType.Data && f.streamId === bulk.id).length;
  bulk.write(Buffer.alloc(8 * 1024 * 1024)); // one huge chunk: a FIFO scheduler would send all of it first
  await until('bulk under way', () => bulkFrames() >= 10);
  const atKeystroke = bulkFrames();
  shell.write('ls\n');
  await until('keystroke delivered', () => (p.accepted[1]?.bytesIn ?? 0) === 3);
  const overtaken = toB.order.findIndex((f) => f.type === FrameType.Data && f.streamId === shell.id);
  const bulkBefore = toB.order
    .slice(0, overtaken)
    .filter((f) => f.type === FrameType.Data && f.streamId === bulk.id).length;
  // Ahead of it: what sat in the link buffer (≤ 2 frames) plus at most one more turn of the bulk stream.
  assert.ok(bulkBefore - atKeystroke <= 3, `${bulkBefore - atKeystroke} bulk frames went first`);
  assert.ok(bulkFrames() < 8 * 16, 'the bulk transfer was still running');
  for (const s of [bulk, shell, ...p.accepted]) s.on('error', () => undefined);
  p.close();
});

test('sender side: write() turns false at the stream high-water mark and the queue stays bounded', async () => {
  const p = muxPair();
  const s = await p.ma.open('bulk', {});
  const r = p.accepted[0]!; // never reads
  let maxQueued = 0;
  let writes = 0;
  while (writes < 1000 && s.write(Buffer.alloc(8192))) {
    writes++;
    maxQueued = Math.max(maxQueued, s.writableLength);
    await settle(1);
  }
  await settle(30);
  assert.ok(writes < 1000, 'write() eventually returned false');
  assert.equal(r.readableLength, WINDOW, 'the receiver holds a window');
  assert.ok(s.writableLength <= STREAM_WRITE_HIGH_WATER + 8192, `sender holds ${s.writableLength}`);
  assert.ok(maxQueued <= STREAM_WRITE_HIGH_WATER + 8192, 'maxQueued <= STREAM_WRITE_HIGH_WATER + 8192');
  for (const x of [s, r]) x.on('error', () => undefined);
  p.close();
});
