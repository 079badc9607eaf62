import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameBuffers } from '../../../src-main/transport/frame-buffers.js';

test('a given-back buffer is handed out again instead of a new one', () => {
  const pool = new FrameBuffers(1024, 2);
  const first = pool.take();
  assert.equal(first.length, 1024);
  pool.give(first);
  assert.equal(pool.take(), first);
  assert.notEqual(pool.take(), first, 'a taken buffer is not handed out twice');
});

test('keeps at most `keep` buffers, and never one of another size', () => {
  const pool = new FrameBuffers(64, 2);
  const taken = [pool.take(), pool.take(), pool.take()];
  for (const b of taken) pool.give(b);
  assert.equal(pool.idle, 2);
  pool.take();
  pool.give(Buffer.alloc(32));
  assert.equal(pool.idle, 1, 'a foreign-sized buffer is dropped');
});
