/**
 * The files channel (files/file-channel.ts) over an in-memory stream pair: a sender that waits for
 * `drained()` after every frame, as `file send` does for each 256 KiB frame, leaves nothing behind
 * per wait — a long transfer must not hold a callback for every frame it sent until it ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileChannel } from '../../../src-main/files/file-channel.js';
import { duplexPair } from '../../helpers/duplex-pair.js';

test('each drained() wait is let go once the stream drains: none of them runs again when the channel closes', async () => {
  const pair = duplexPair(1024);
  const sender = new FileChannel(pair.a, () => undefined);
  pair.b.resume(); // the far end reads everything
  const frame = Buffer.alloc(4096);
  let waits = 0;
  for (let i = 0; i < 500; i++) {
    if (!sender.sendWire(frame)) {
      waits++;
      await sender.drained();
    }
  }
  assert.ok(waits >= 400, `the sender waited for drain ${waits} times`);
  // What a wait left behind runs when the channel ends: count its `off('drain')` calls.
  let offs = 0;
  const off = pair.a.off.bind(pair.a);
  pair.a.off = ((event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (event === 'drain') offs++;
    return off(event, listener);
  }) as typeof pair.a.off;
  sender.close();
  await sender.closed;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(offs, 0, 'no wait that already ended is still attached to the channel');
});

test('a drained() wait under way when the channel closes resolves then', async () => {
  const pair = duplexPair(1024);
  const sender = new FileChannel(pair.a, () => undefined);
  // Nobody reads the far end: the stream stays full.
  while (sender.sendWire(Buffer.alloc(4096)));
  let resolved = false;
  const waiting = sender.drained().then(() => (resolved = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, false, 'still waiting while the stream is full');
  sender.close(new Error('stopped'));
  await waiting;
  assert.equal(resolved, true);
});
