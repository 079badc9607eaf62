import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { COPY_AT_BYTES, RetainedBytes } from '../../../src-main/mux/retained-bytes.js';
import { FrameBuffers } from '../../../src-main/transport/frame-buffers.js';

/**
 * n bytes of (i * 7 + seed) & 0xff: a run of 256 repeats, so Buffer.alloc fills them from one run.
 * Built byte by byte through an Array, the property's chunks took most of its CPU.
 */
const pattern = (n: number, seed: number) =>
  Buffer.alloc(n, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + seed) & 0xff)));

test('a large chunk is kept as a copy: changing the written Buffer afterwards changes nothing kept', () => {
  const kept = new RetainedBytes(new FrameBuffers(64 * 1024, 4));
  const chunk = pattern(COPY_AT_BYTES * 2, 1);
  const before = Buffer.from(chunk);
  kept.push(chunk);
  chunk.fill(0);
  assert.deepEqual(Buffer.concat(kept.views()), before);
});

test('a small chunk is kept as it was written, not copied', () => {
  const kept = new RetainedBytes(new FrameBuffers(64 * 1024, 4));
  const key = Buffer.from('k');
  kept.push(key);
  assert.equal(kept.views()[0], key);
});

test('a chunk larger than what is left of a slab continues in the next one', () => {
  const kept = new RetainedBytes(new FrameBuffers(COPY_AT_BYTES * 3, 4));
  const a = pattern(COPY_AT_BYTES * 2, 2);
  const b = pattern(COPY_AT_BYTES * 2, 3);
  kept.push(a);
  kept.push(b);
  assert.equal(kept.size, a.length + b.length);
  assert.deepEqual(Buffer.concat(kept.views()), Buffer.concat([a, b]));
});

test('once everything in a slab is dropped the slab goes back to the pool; an idle stream holds none', () => {
  const pool = new FrameBuffers(COPY_AT_BYTES * 2, 4);
  const kept = new RetainedBytes(pool);
  kept.push(pattern(COPY_AT_BYTES * 3, 4));
  assert.equal(pool.idle, 0);
  kept.drop(COPY_AT_BYTES * 2);
  assert.equal(pool.idle, 1, 'the first, fully dropped slab');
  kept.drop(COPY_AT_BYTES - 1);
  assert.equal(pool.idle, 1, 'one byte of the second is still kept');
  kept.drop(1);
  assert.equal(pool.idle, 2);
  assert.equal(kept.size, 0);
});

test('dropping more than is kept is refused', () => {
  const kept = new RetainedBytes(new FrameBuffers(1024 * 64, 1));
  kept.push(Buffer.from('abc'));
  assert.throws(() => kept.drop(4), /cannot drop 4 bytes of 3 kept/);
});

test('property: after any pushes and drops, what is kept is exactly the written bytes not yet dropped', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ push: fc.integer({ min: 0, max: COPY_AT_BYTES * 3 }), seed: fc.nat(255) }),
          fc.record({ dropShare: fc.double({ min: 0, max: 1, noNaN: true }) }),
        ),
        { maxLength: 40 },
      ),
      (steps) => {
        const pool = new FrameBuffers(COPY_AT_BYTES * 4, 2);
        const kept = new RetainedBytes(pool);
        let model = Buffer.alloc(0);
        for (const step of steps) {
          if ('push' in step) {
            const chunk = pattern(step.push, step.seed);
            kept.push(chunk);
            model = Buffer.concat([model, Buffer.from(chunk)]);
            // A copied chunk's Buffer may be reused by its writer (small ones are kept as written).
            if (chunk.length >= COPY_AT_BYTES) chunk.fill(0xaa);
          } else {
            const n = Math.floor(model.length * step.dropShare);
            kept.drop(n);
            model = model.subarray(n);
          }
          assert.equal(kept.size, model.length);
          assert.deepEqual(Buffer.concat(kept.views()), model);
        }
        // Slabs handed back to the pool are reused by later pushes: kept bytes must survive that.
        kept.push(pattern(COPY_AT_BYTES * 4, 9));
        assert.deepEqual(Buffer.concat(kept.views()).subarray(0, model.length), model);
      },
    ),
    { numRuns: 2000 },
  );
});
