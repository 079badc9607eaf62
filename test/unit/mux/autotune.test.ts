/**
 * Receive-window auto-tuning seen from outside the mux: WINDOW frames on the wire, bytes buffered per
 * stream, the stream's advertised window. A fast reader grows its window (and so gets more bytes in
 * flight); a slow reader keeps the one it started with; buffered bytes never exceed the window in force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { Mux, type MuxStream } from '../../../src-main/mux/mux.js';
import { MAX_AUTO_STREAM_WINDOW } from '../../../src-main/mux/constants.js';
import {
  decodeFrame,
  FrameType,
  INITIAL_STREAM_WINDOW,
  MAX_STREAM_WINDOW,
} from '../../../src-main/protocol/mux-frames.js';
import { createLinkPair, type LinkPairOptions } from '../../helpers/link-pair.js';
import type { MuxOptions } from '../../../src-main/mux/types.js';
import { readAll } from './mux-fixtures.js';
import { sleep, until } from '../../helpers/wait.js';

const W = INITIAL_STREAM_WINDOW;
/** One stream from `a` to `b`; the tap on `b` checks buffered ≤ advertised window at every DATA. */
async function transfer(opts: {
  link: LinkPairOptions;
  b?: MuxOptions;
  bytes: number;
  read: (r: MuxStream, consumed: (n: number) => void) => Promise<void>;
}) {
  const { a, b } = createLinkPair(opts.link);
  let r: MuxStream | undefined;
  let delivered = 0;
  let consumed = 0;
  let maxBuffered = 0;
  const violations: string[] = [];
  const increments: number[] = [];
  b.onFrame((bytes) => {
    const f = decodeFrame(bytes);
    if (f.type !== FrameType.Data || !r) return;
    delivered += f.payload.length;
    const buffered = delivered - consumed;
    maxBuffered = Math.max(maxBuffered, buffered);
    if (buffered > r.receiveWindowSize) violations.push(`${buffered} > ${r.receiveWindowSize}`);
  });
  a.onFrame((bytes) => {
    const f = decodeFrame(bytes);
    if (f.type === FrameType.Window) increments.push(f.increment);
  });
  let rtts = 0;
  const ma = new Mux(a);
  const mb = new Mux(b, { ...opts.b, onStream: (req) => (r = req.accept()) });
  mb.on('rtt', () => rtts++);
  const s = await ma.open('bulk', {});
  const body = Buffer.alloc(opts.bytes, 7);
  s.end(body);
  r = await until('the stream accepted', () => r);
  await opts.read(r, (n) => (consumed += n));
  r.end();
  await readAll(s);
  ma.close();
  mb.close();
  return { window: r.receiveWindowSize, maxBuffered, violations, increments, consumed, rtts };
}

/** Flowing mode: every chunk is consumed as it arrives. */
async function fastReader(r: MuxStream, consumed: (n: number) => void): Promise<void> {
  r.on('data', (c: Buffer) => consumed(c.length));
  await new Promise((resolve) => r.once('end', resolve));
}

test('auto-tuning: a reader that keeps up grows its window beyond the initial one', async () => {
  const got = await transfer({ link: { latencyMs: 2 }, bytes: 24 * 1024 * 1024, read: fastReader });
  assert.equal(got.consumed, 24 * 1024 * 1024);
  assert.ok(got.window > W, `window stayed at ${got.window}`);
  assert.ok(got.window <= MAX_AUTO_STREAM_WINDOW, 'got.window <= MAX_AUTO_STREAM_WINDOW');
  assert.ok(
    got.increments.some((inc) => inc > W / 2),
    'a WINDOW granted more than half the initial window',
  );
  assert.ok(got.rtts >= 1, 'the mux measured the path instead of waiting for a heartbeat');
  assert.deepEqual(got.violations, []);
});

test('auto-tuning: a slow reader keeps the initial window and buffers at most that', async () => {
  const got = await transfer({
    link: {},
    bytes: 1024 * 1024,
    read: async (r, consumed) => {
      let ended = false;
      r.once('end', () => (ended = true));
      for (let turns = 0; !ended && turns < 5_000; turns++) {
        await sleep(1, 'the slow reader: a pause between reads');
        const c = r.read(4096) ?? r.read();
        if (c) consumed(c.length);
      }
    },
  });
  assert.equal(got.consumed, 1024 * 1024);
  assert.equal(got.window, W);
  assert.ok(got.maxBuffered > W / 2, `the reader really fell behind (${got.maxBuffered})`);
  assert.ok(got.maxBuffered <= W, `buffered ${got.maxBuffered}`);
  assert.ok(
    got.increments.every((inc) => inc <= W),
    'no WINDOW beyond what was consumed',
  );
  assert.deepEqual(got.violations, []);
});

test('auto-tuning: a fast reader that stops buffers at most its grown window', async () => {
  let grownTo = 0;
  const got = await transfer({
    link: { latencyMs: 2 },
    bytes: 48 * 1024 * 1024,
    read: async (r, consumed) => {
      let total = 0;
      const onData = (c: Buffer) => {
        consumed(c.length);
        total += c.length;
      };
      r.on('data', onData);
      await until('the window grown to 4 W', () => r.receiveWindowSize >= 4 * W);
      r.off('data', onData);
      r.pause();
      grownTo = r.receiveWindowSize;
      // Stalled: the sender fills what the window allows, then stops.
      await sleep(100, 'stalled: the sender fills what the window allows, then must stop');
      const stalled = r.readableLength;
      assert.ok(stalled <= r.receiveWindowSize, `stalled reader holds ${stalled} > ${r.receiveWindowSize}`);
      assert.ok(stalled > W, `the grown window was used (${stalled})`);
      r.on('data', onData);
      r.resume();
      await new Promise((resolve) => r.once('end', resolve));
      assert.equal(total, 48 * 1024 * 1024);
    },
  });
  assert.ok(grownTo >= 4 * W, `window only grew to ${grownTo}`);
  assert.ok(got.maxBuffered <= got.window, `buffered ${got.maxBuffered} > ${got.window}`);
  assert.deepEqual(got.violations, []);
});

test('auto-tuning: maxStreamWindow equal to streamWindow turns it off', async () => {
  const got = await transfer({
    link: { latencyMs: 2 },
    b: { maxStreamWindow: W },
    bytes: 8 * 1024 * 1024,
    read: fastReader,
  });
  assert.equal(got.window, W);
  assert.ok(
    got.increments.every((inc) => inc <= W),
    'got.increments.every((inc) => inc <= W)',
  );
  assert.deepEqual(got.violations, []);
});

test('auto-tuning: maxStreamWindow outside streamWindow..MAX_STREAM_WINDOW is refused', () => {
  const { a } = createLinkPair();
  for (const opts of [
    { maxStreamWindow: W - 1 },
    { streamWindow: 2 * W, maxStreamWindow: W },
    { maxStreamWindow: MAX_STREAM_WINDOW + 1 },
    { maxStreamWindow: 1.5 * W + 0.5 },
  ]) {
    assert.throws(
      () => new Mux(a, opts),
      (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && /maxStreamWindow/.test(err.message),
    );
  }
});
