import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { isClawError } from '../../../src-main/core/errors.js';
import { FrameType } from '../../../src-main/protocol/mux-frames.js';
import { errorOf, muxPair, readAll, settle } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

test('half-close from the opener: the acceptor sees end and can still write back', async () => {
  const p = muxPair();
  const s = await p.ma.open('upload', {});
  const r = p.accepted[0]!;
  s.end('request body');
  assert.equal((await readAll(r)).toString(), 'request body');
  // The opener's writable is finished, its readable still works.
  assert.equal(s.writableFinished, true);
  for (let i = 0; i < 3; i++) r.write(`part ${i};`);
  r.end();
  assert.equal((await readAll(s)).toString(), 'part 0;part 1;part 2;');
  p.close();
});

test('half-close from the acceptor: the opener sees end and can still write', async () => {
  const p = muxPair();
  const s = await p.ma.open('download', {});
  const r = p.accepted[0]!;
  r.end('banner');
  assert.equal((await readAll(s)).toString(), 'banner');
  s.write('still ');
  s.end('talking');
  assert.equal((await readAll(r)).toString(), 'still talking');
  await until('both sides forget the stream', () => p.ma.streamCount === 0 && p.mb.streamCount === 0);
  p.close();
});

test('destroy(err) resets the stream: the peer fails with STREAM_RESET and the reason', async () => {
  const p = muxPair();
  const s = await p.ma.open('terminal', {});
  const r = p.accepted[0]!;
  const failed = errorOf(r);
  const local = errorOf(s);
  s.destroy(new Error('user pressed ctrl-c'));
  assert.equal((await local).message, 'user pressed ctrl-c');
  const err = await failed;
  assert.ok(isClawError(err, 'STREAM_RESET'), "isClawError(err, 'STREAM_RESET')");
  assert.equal(err.message, 'terminal stream 1 was reset by the peer: user pressed ctrl-c');
  await until('peer forgets the reset stream', () => p.mb.streamCount === 0);
  assert.equal(p.ma.streamCount, 0);
  // The link is unaffected.
  const again = await p.ma.open('terminal', {});
  again.end();
  p.accepted[1]!.end();
  await Promise.all([readAll(again), readAll(p.accepted[1]!)]);
  p.close();
});

test('destroy() without an error still resets the peer (the stream did not finish)', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  const failed = errorOf(p.accepted[0]!);
  s.write('partial');
  s.destroy();
  const err = await failed;
  assert.ok(isClawError(err, 'STREAM_RESET'), "isClawError(err, 'STREAM_RESET')");
  assert.match(err.message, /closed by the application before it finished/);
  p.close();
});

test('a reset from the acceptor fails the opener, even mid-transfer', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  const r = p.accepted[0]!;
  const failed = errorOf(s);
  r.on('error', () => undefined); // its own destroy(err) error
  s.write(Buffer.alloc(100_000));
  r.once('data', () => r.destroy(new Error('out of space')));
  const err = await failed;
  assert.ok(isClawError(err, 'STREAM_RESET'), "isClawError(err, 'STREAM_RESET')");
  assert.match(err.message, /reset by the peer: out of space$/);
  p.close();
});

test('after a reset, frames already on the wire for that stream are ignored, not fatal', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  const r = p.accepted[0]!;
  r.on('error', () => undefined);
  s.on('error', () => undefined);
  // Both directions have frames in flight when the RST is sent.
  s.write(Buffer.alloc(70_000, 1));
  r.write(Buffer.alloc(70_000, 2));
  s.destroy(new Error('cancel'));
  await settle(20);
  assert.equal(p.ma.closed, false);
  assert.equal(p.mb.closed, false);
  assert.ok((await p.ma.ping()) >= 0, '(await p.ma.ping()) >= 0');
  assert.deepEqual(p.a.listenerErrors, []);
  assert.deepEqual(p.b.listenerErrors, []);
  p.close();
});

test('the FIN follows every DATA frame of its stream on the wire', async () => {
  const p = muxPair({ link: { highWaterMark: 1024 } });
  const seen: number[] = [];
  p.b.onFrame((f) => seen.push(f[1]!));
  const s = await p.ma.open('x', {});
  const r = p.accepted[0]!;
  const body = Buffer.alloc(300_000, 7);
  s.end(body); // more than the window: the tail waits for credit, the FIN must wait with it
  const got = await readAll(r);
  assert.equal(Buffer.compare(got, body), 0);
  const fin = seen.lastIndexOf(FrameType.Fin);
  assert.ok(fin > seen.lastIndexOf(FrameType.Data), 'fin > seen.lastIndexOf(FrameType.Data)');
  r.end();
  await readAll(s);
  p.close();
});

test('pipes like any Duplex: pipeline through a stream round-trips bytes', async () => {
  const p = muxPair();
  const s = await p.ma.open('echo', {});
  const r = p.accepted[0]!;
  r.pipe(r); // echo server
  const input = Buffer.alloc(1_000_000);
  for (let i = 0; i < input.length; i++) input[i] = (i * 31) & 0xff;
  const sink = new PassThrough();
  const collected = readAll(sink);
  await Promise.all([pipeline(PassThrough.from([input]), s), pipeline(s, sink)]);
  assert.equal(Buffer.compare(await collected, input), 0);
  p.close();
});

test('setEncoding is refused because credit counts bytes', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  assert.throws(
    () => s.setEncoding('utf8'),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  s.end();
  p.accepted[0]!.end();
  await Promise.all([readAll(s), readAll(p.accepted[0]!)]);
  p.close();
});
