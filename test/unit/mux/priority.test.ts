/**
 * Interactive first on a real mux pair (send-queue.ts, priority.ts): a key typed on a terminal stream
 * while eight bulk streams fill the link overtakes their queued DATA, where a plain round robin would
 * put it behind one frame of each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInteractive, SMALL_STREAM_BYTES } from '../../../src-main/mux/priority.js';
import { muxPair } from './mux-fixtures.js';
import { until } from '../../helpers/wait.js';

test('terminal and control streams are interactive; others only for their first bytes', () => {
  assert.equal(isInteractive('terminal', 10 * SMALL_STREAM_BYTES), true);
  assert.equal(isInteractive('control', 10 * SMALL_STREAM_BYTES), true);
  assert.equal(isInteractive('tcp-connect', 0), true);
  assert.equal(isInteractive('tcp-connect', SMALL_STREAM_BYTES), false);
});

test('a key on a terminal overtakes the DATA of busy bulk streams', async () => {
  const pair = muxPair({ link: { latencyMs: 1 } });
  try {
    const bulk = await Promise.all(
      Array.from({ length: 8 }, () => pair.ma.open('tcp-connect', {}, { timeoutMs: 2000 })),
    );
    const terminal = await pair.ma.open('terminal', {}, { timeoutMs: 2000 });
    for (const s of [...bulk, terminal, ...pair.accepted]) s.on('error', () => undefined);
    const bulkPeers = pair.accepted.slice(0, 8);
    const terminalPeer = pair.accepted[8]!;
    let bulkReceived = 0;
    for (const s of bulkPeers) s.on('data', (c: Buffer) => (bulkReceived += c.length));
    // Past their interactive first bytes, every bulk stream has a window's worth queued.
    for (const s of bulk) s.write(Buffer.alloc(SMALL_STREAM_BYTES));
    await until(
      'the interactive first bytes through',
      () => bulkReceived >= bulk.length * SMALL_STREAM_BYTES,
    );
    for (const s of bulk) s.write(Buffer.alloc(256 * 1024));
    const before = bulkReceived;
    const keyArrived = new Promise<number>((resolve) =>
      terminalPeer.once('data', () => resolve(bulkReceived - before)),
    );
    terminal.write('x');
    const bulkAhead = await keyArrived;
    // What the link already held (its 256 KiB mark plus a frame) and at most one bulk frame more;
    // round robin would add one 64 KiB frame of each of the eight streams.
    assert.ok(bulkAhead <= 256 * 1024 + 2 * 64 * 1024, `${bulkAhead} bulk bytes arrived before the key`);
  } finally {
    pair.close();
  }
});
