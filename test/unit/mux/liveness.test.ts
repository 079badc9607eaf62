import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { Mux } from '../../../src-main/mux/mux.js';
import { Heartbeat } from '../../../src-main/mux/heartbeat.js';
import { decodeFrame, FrameType } from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair } from '../../helpers/link-pair.js';
import { closeOf, errorOf, muxPair, readAll } from './mux-fixtures.js';
import { until, sleep } from '../../helpers/wait.js';

test('ping() measures the round trip with sub-millisecond resolution and emits rtt', async () => {
  const p = muxPair({ link: { latencyMs: 15 } });
  const seen: number[] = [];
  p.ma.on('rtt', (ms) => seen.push(ms));
  const rtts = [await p.ma.ping(), await p.ma.ping()];
  for (const rtt of rtts) {
    // Two one-way delays of 15 ms; timers never fire early by more than their 1 ms granularity.
    assert.ok(rtt >= 29, `rtt ${rtt} < 2 × 15 ms`);
    assert.ok(rtt < 1000, `rtt ${rtt}`);
    assert.ok(Math.abs(rtt * 1000 - Math.round(rtt * 1000)) < 1e-6, `rtt ${rtt} is in whole microseconds`);
  }
  // Each has a 1 in 1000 chance of a whole millisecond; both at once would mean ms resolution.
  assert.ok(
    rtts.some((rtt) => rtt !== Math.round(rtt)),
    'high-resolution, not whole milliseconds',
  );
  assert.deepEqual(seen, rtts);
  p.close();
});

test('ping() times out with TIMEOUT when the peer does not answer', async () => {
  const p = muxPair();
  p.a.blackhole();
  await assert.rejects(
    p.ma.ping(30),
    (err: unknown) => isClawError(err, 'TIMEOUT') && /no reply from peer in 0.03 s/.test(err.message),
  );
  p.close();
});

test('heartbeats keep an idle link alive and report rtt', async () => {
  // A dead-after of 500 ms, not 50: a full suite on two busy cores stalled this process longer than
  // 50 ms now and then, which is a dead path by definition, not what this test is about.
  const beat = { heartbeatMs: 50, deadAfterMs: 500 };
  const p = muxPair({ a: beat, b: beat });
  let rtts = 0;
  p.ma.on('rtt', () => rtts++);
  await sleep(2_600, 'five dead-after periods of idleness');
  assert.equal(p.ma.closed, false);
  assert.equal(p.mb.closed, false);
  assert.ok(rtts >= 5, `only ${rtts} heartbeat rtts`);
  p.close();
});

test('an idle link settles on one side pinging: about one PING per beat between them, not two (ADR 0062)', async () => {
  const beat = { heartbeatMs: 20, deadAfterMs: 5_000 };
  const p = muxPair({ a: beat, b: beat });
  const pings = { a: 0, b: 0 };
  for (const side of ['a', 'b'] as const) {
    const link = p[side];
    const send = link.send.bind(link);
    link.send = (frame: Uint8Array) => {
      if (decodeFrame(frame).type === FrameType.Ping) pings[side]++;
      return send(frame);
    };
  }
  let rtts = 0;
  p.ma.on('rtt', () => rtts++);
  p.mb.on('rtt', () => rtts++);
  const ms = 1_000;
  const t0 = performance.now();
  await sleep(ms, 'a second of beats, counted');
  const beats = (performance.now() - t0) / beat.heartbeatMs;
  assert.equal(p.ma.closed || p.mb.closed, false);
  // Each side pinging every beat (before) sent ~2 per beat in all; one side pinging, and the other
  // once every RTT_REFRESH_BEATS beats for its own RTT, ~1.2. Timers on a loaded machine fire late,
  // never early: fewer beats than `beats`, not more.
  const perBeat = (pings.a + pings.b) / beats;
  assert.ok(perBeat < 1.5, `${pings.a} + ${pings.b} PINGs in ${beats.toFixed(0)} beats`);
  assert.ok(rtts > 0 && Math.min(pings.a, pings.b) > 0, `${rtts} rtts, ${JSON.stringify(pings)}`);
  p.close();
});

test('a dead path (nothing arrives) closes the link with a heartbeat timeout and fails its streams', async () => {
  // A deadline a loaded machine does not reach by stalling alone (at 60 ms, a stall during the open
  // below killed the link before its listeners were on, at a load of 30).
  const p = muxPair({ a: { heartbeatMs: 50, deadAfterMs: 500 } });
  const s = await p.ma.open('terminal', {});
  const streamFailed = errorOf(s);
  const closed = closeOf(p.ma);
  const pending = p.ma.open('late', {}).catch((err: unknown) => err);
  const started = performance.now();
  p.a.blackhole();
  const { error } = await closed;
  const waited = performance.now() - started;
  assert.ok(isClawError(error, 'LINK_CLOSED'), "isClawError(error, 'LINK_CLOSED')");
  assert.match(error.message, /^heartbeat timeout: no reply from peer for 0.5 s/);
  // Not before the deadline, which counts from the last frame received: a heartbeat's PONG, up to one
  // beat (50 ms) before the path went dead here. The upper bound only catches "never" (a busy machine
  // may be slow).
  assert.ok(waited >= 440 && waited < 10_000, `detected after ${waited} ms`);
  assert.equal(p.a.closed, true, 'the link itself is closed');
  assert.equal((await streamFailed).message, error.message);
  assert.ok(isClawError(await pending, 'LINK_CLOSED'), "isClawError(await pending, 'LINK_CLOSED')");
  // The other side never heard anything (the path is dead); closing it fails its half of the stream too.
  const otherFailed = errorOf(p.accepted[0]!);
  p.close();
  assert.ok(isClawError(await otherFailed, 'LINK_CLOSED'), "isClawError(await otherFailed, 'LINK_CLOSED')");
});

test('a link failure fails every unfinished stream with the link reason; nothing ends quietly', async () => {
  const p = muxPair();
  const s1 = await p.ma.open('a', {});
  const s2 = await p.ma.open('b', {});
  const [r1, r2] = p.accepted;
  s1.write('half a message');
  await until('data arrives', () => r1!.bytesIn === 14);
  const errors = [s1, s2, r1!, r2!].map((s) => errorOf(s));
  const ends: string[] = [];
  for (const s of [s1, s2, r1!, r2!]) s.on('end', () => ends.push(String(s.id)));
  r1!.resume();
  const closes = [closeOf(p.ma), closeOf(p.mb)];
  p.a.fail(new Error('connection reset by peer'));
  for (const err of await Promise.all(errors)) {
    assert.ok(isClawError(err, 'LINK_CLOSED'), String(err));
    assert.match(err.message, /connection reset by peer/);
  }
  assert.deepEqual(ends, [], 'no stream ended as if complete');
  for (const { error } of await Promise.all(closes))
    assert.match(String(error?.message), /connection reset by peer/);
  await assert.rejects(
    p.ma.open('c', {}),
    (err: unknown) => isClawError(err, 'LINK_CLOSED') && /is closed/.test(err.message),
  );
  await assert.rejects(p.ma.ping(), (err: unknown) => isClawError(err, 'LINK_CLOSED'));
});

test('a stream finished in both directions survives a later link close', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  const r = p.accepted[0]!;
  s.end('done');
  r.end('done too');
  await until('both FINs exchanged', () => p.ma.streamCount === 0 && p.mb.streamCount === 0);
  let failed = false;
  s.on('error', () => (failed = true));
  p.ma.close('bye');
  assert.equal((await readAll(s)).toString(), 'done too', 'buffered data stays readable');
  assert.equal((await readAll(r)).toString(), 'done');
  assert.equal(failed, false);
});

test('close(reason) tells the peer why (GOAWAY) and emits close without an error locally', async () => {
  const p = muxPair();
  const s = await p.ma.open('x', {});
  const localErr = errorOf(s);
  const remoteErr = errorOf(p.accepted[0]!);
  const local = closeOf(p.ma);
  const remote = closeOf(p.mb);
  p.ma.close('switching to the direct path');
  assert.equal((await local).error, undefined);
  const { error } = await remote;
  assert.ok(isClawError(error, 'LINK_CLOSED'), "isClawError(error, 'LINK_CLOSED')");
  assert.equal(error.message, 'peer closed the link: switching to the direct path');
  assert.match((await localErr).message, /closed: switching to the direct path/);
  assert.equal((await remoteErr).message, error.message);
  assert.equal(p.a.closed && p.b.closed, true);
  p.ma.close('again'); // idempotent
});

test('a mux over an already closed link closes at once', async () => {
  const { a } = createLinkPair();
  a.close();
  const mux = new Mux(a);
  const { error } = await closeOf(mux);
  assert.ok(isClawError(error, 'LINK_CLOSED'), "isClawError(error, 'LINK_CLOSED')");
});

test('a throwing rtt listener does not take the link down', async () => {
  const p = muxPair();
  p.ma.on('rtt', () => {
    throw new Error('listener bug');
  });
  assert.ok((await p.ma.ping()) >= 0, '(await p.ma.ping()) >= 0');
  assert.equal(p.ma.closed, false);
  assert.deepEqual(p.a.listenerErrors, []);
  p.close();
});

test('heartbeats started apart beat in one wake-up: one shared timer per interval (ADR 0068)', async () => {
  // Each side on its own (no PING from a peer), so each pings every beat.
  const opts = { intervalMs: 40, deadAfterMs: 60_000, rtoFloorMs: 1_000, rtoCapMs: 3_000 };
  /** The macrotask each PING went out in: a number bumped at the first PING of a task, cleared after it. */
  let task: number | undefined;
  let tasks = 0;
  const sentIn: { first: number[]; second: number[] } = { first: [], second: [] };
  const heartbeat = (which: 'first' | 'second') =>
    new Heartbeat({
      ...opts,
      sendPing: () => {
        if (task === undefined) {
          task = ++tasks;
          queueMicrotask(() => (task = undefined));
        }
        sentIn[which].push(task);
      },
      onRtt: () => undefined,
      onDead: () => undefined,
    });
  const first = heartbeat('first');
  first.start();
  // Half an interval later: with a timer each, the two would beat half an interval apart.
  await sleep(opts.intervalMs / 2, 'half an interval between the two starts');
  const second = heartbeat('second');
  second.start();
  await sleep(opts.intervalMs * 8, 'eight intervals of beats, counted');
  first.stop(new Error('done'));
  second.stop(new Error('done'));
  assert.ok(sentIn.second.length >= 2, `the second heartbeat pinged ${sentIn.second.length} times`);
  const together = sentIn.second.filter((t) => sentIn.first.includes(t)).length;
  assert.equal(together, sentIn.second.length, `PINGs in the same wake-up: ${JSON.stringify(sentIn)}`);
});
