import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { Mux, type MuxStream, type StreamRequest } from '../../../src-main/mux/mux.js';
import { MAX_INBOUND_STREAMS } from '../../../src-main/mux/constants.js';
import { FrameType } from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { muxPair, RawPeer, readAll, settle } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

test('accepted stream carries service, args and bytes both ways', async () => {
  const p = muxPair();
  const s = await p.ma.open('echo', { port: 22, host: 'db' });
  const [r] = p.accepted;
  assert.ok(r, 'r');
  assert.equal(r.service, 'echo');
  assert.deepEqual(r.args, { port: 22, host: 'db' });
  assert.equal(s.service, 'echo');
  assert.equal(s.id % 2, 1, 'initiator opens odd IDs');
  assert.equal(r.id, s.id);
  s.end('ping');
  assert.equal((await readAll(r)).toString(), 'ping');
  r.end('pong');
  assert.equal((await readAll(s)).toString(), 'pong');
  assert.equal(s.bytesOut, 4);
  assert.equal(s.bytesIn, 4);
  assert.equal(r.bytesIn, 4);
  assert.equal(r.bytesOut, 4);
  await until('streams forgotten after both FINs', () => p.ma.streamCount === 0 && p.mb.streamCount === 0);
  p.close();
});

test("reject() makes open() fail with STREAM_REJECTED, the peer's reason and its code", async () => {
  const p = muxPair({ b: { onStream: (req) => req.reject('PERMISSION_DENIED', 'no terminals for you') } });
  await assert.rejects(
    p.ma.open('terminal', {}),
    (err: unknown) =>
      isClawError(err, 'STREAM_REJECTED') &&
      err.refusal === 'PERMISSION_DENIED' &&
      err.message === 'no terminals for you',
  );
  p.close();
});

test('a side without onStream rejects every stream', async () => {
  const p = muxPair({ b: { onStream: undefined } });
  // The fixture's default handler is replaced by an explicit undefined: mb offers nothing.
  await assert.rejects(
    p.ma.open('echo', null),
    (err: unknown) => isClawError(err, 'STREAM_REJECTED') && /offers no services/.test(err.message),
  );
  p.close();
});

test('a throwing handler rejects the stream with its message; the link stays up', async () => {
  const p = muxPair({
    b: {
      onStream: () => {
        throw new Error('disk full');
      },
    },
  });
  await assert.rejects(
    p.ma.open('files', {}),
    (err: unknown) =>
      isClawError(err, 'STREAM_REJECTED') && /"files" service failed: disk full/.test(err.message),
  );
  assert.equal(p.ma.closed, false);
  assert.ok((await p.ma.ping()) >= 0, '(await p.ma.ping()) >= 0');
  p.close();
});

test('async accept works; an open that times out is cancelled and a late accept() throws STREAM_RESET', async () => {
  const requests: StreamRequest[] = [];
  const p = muxPair({ b: { onStream: (req) => requests.push(req) } });
  const slow = p.ma.open('slow', 1, { timeoutMs: 30 });
  await assert.rejects(
    slow,
    (err: unknown) =>
      isClawError(err, 'TIMEOUT') && /did not answer the "slow" stream in 30 ms/.test(err.message),
  );
  await settle();
  assert.throws(
    () => requests[0]!.accept(),
    (err: unknown) => isClawError(err, 'STREAM_RESET') && /gave up on the "slow" stream/.test(err.message),
  );
  requests[0]!.reject('CANCELLED', 'too late'); // harmless no-op

  const later = p.ma.open('later', 2);
  await until('second request', () => requests.length === 2);
  const r = requests[1]!.accept();
  assert.throws(
    () => requests[1]!.accept(),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
  );
  const s = await later;
  s.end('x');
  r.end('y');
  assert.equal((await readAll(r)).toString(), 'x');
  assert.equal((await readAll(s)).toString(), 'y');
  p.close();
});

test('both sides open at once without ID collisions (odd vs even)', async () => {
  const { a, b } = createLinkPair();
  const got: { a: MuxStream[]; b: MuxStream[] } = { a: [], b: [] };
  const ma = new Mux(a, { onStream: (req) => got.a.push(req.accept()) });
  const mb = new Mux(b, { onStream: (req) => got.b.push(req.accept()) });
  const opened = await Promise.all([
    ...Array.from({ length: 20 }, () => ma.open('x', 'from a')),
    ...Array.from({ length: 20 }, () => mb.open('x', 'from b')),
  ]);
  const fromA = opened.slice(0, 20).map((s) => s.id);
  const fromB = opened.slice(20).map((s) => s.id);
  assert.ok(
    fromA.every((id) => id % 2 === 1),
    'fromA.every((id) => id % 2 === 1)',
  );
  assert.ok(
    fromB.every((id) => id % 2 === 0),
    'fromB.every((id) => id % 2 === 0)',
  );
  assert.deepEqual(
    got.b.map((s) => s.args),
    Array(20).fill('from a'),
  );
  assert.deepEqual(
    got.a.map((s) => s.args),
    Array(20).fill('from b'),
  );
  for (const s of opened) s.end(`${s.id}`);
  for (const s of [...got.a, ...got.b]) s.end();
  const echoes = await Promise.all([...got.a, ...got.b].map((s) => readAll(s)));
  assert.deepEqual(echoes.map(String).sort(), opened.map((s) => `${s.id}`).sort());
  await Promise.all(opened.map((s) => readAll(s)));
  ma.close();
  mb.close();
});

test('bad service names and oversized args fail locally with BAD_ARGUMENT', async () => {
  const p = muxPair();
  await assert.rejects(p.ma.open('Bad Name', {}), (err: unknown) => isClawError(err, 'BAD_ARGUMENT'));
  await assert.rejects(
    p.ma.open('big', 'x'.repeat(9000)),
    (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && /over the 8192-byte limit/.test(err.message),
  );
  assert.equal(p.ma.closed, false);
  p.close();
});

test(`OPENs beyond ${MAX_INBOUND_STREAMS} waiting or open streams are rejected, not fatal`, async () => {
  const { a, b } = createLinkPair({ highWaterMark: 16 * 1024 * 1024 });
  const raw = new RawPeer(a);
  const held: StreamRequest[] = [];
  const mb = new Mux(b, { onStream: (req) => held.push(req) });
  for (let i = 0; i <= MAX_INBOUND_STREAMS; i++) {
    raw.send({ type: FrameType.Open, streamId: 1 + 2 * i, service: 'x', args: i });
  }
  await until('one reject', () => raw.ofType(FrameType.Reject).length === 1);
  assert.equal(held.length, MAX_INBOUND_STREAMS);
  const [rej] = raw.ofType(FrameType.Reject);
  assert.equal(rej!.streamId, 1 + 2 * MAX_INBOUND_STREAMS);
  assert.match(rej!.reason, /too many streams: this node allows 1024/);
  // Answering one frees a slot.
  held[0]!.reject('UNSPECIFIED', 'done');
  raw.send({ type: FrameType.Open, streamId: 3 + 2 * MAX_INBOUND_STREAMS, service: 'x', args: 'again' });
  await until('slot reused', () => held.length === MAX_INBOUND_STREAMS + 1);
  assert.equal(mb.closed, false);
  mb.close();
});
