import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REPLAY_BUFFER_BYTES, ReplayBuffer } from '../../../../src-main/terminal/sessions/replay-buffer.js';

/** What `since` gave, as text (undefined stays undefined). */
const text = (bytes: Uint8Array | undefined) => bytes && Buffer.from(bytes).toString();

test('the replay buffer holds at least 1 MiB by default', () => {
  assert.ok(REPLAY_BUFFER_BYTES >= 1024 * 1024, 'REPLAY_BUFFER_BYTES >= 1024 * 1024');
  assert.equal(new ReplayBuffer().capacity, REPLAY_BUFFER_BYTES);
});

test('bytes by absolute offset; what was overwritten or never written is refused', () => {
  const r = new ReplayBuffer(8);
  r.append(Buffer.from('abcde'));
  assert.deepEqual([r.start, r.end], [0, 5]);
  assert.equal(text(r.since(0)), 'abcde');
  assert.equal(text(r.since(5)), '');
  assert.equal(r.since(6), undefined);
  r.append(Buffer.from('fghij'));
  assert.deepEqual([r.start, r.end], [2, 10]);
  assert.equal(r.since(1), undefined);
  assert.equal(text(r.since(2)), 'cdefghij');
  r.append(Buffer.from('0123456789xy')); // larger than the ring: only the tail survives
  assert.deepEqual([r.start, r.end], [14, 22]);
  assert.equal(text(r.since(14)), '456789xy');
  assert.equal(r.since(1.5), undefined);
});

test('property: since(k) equals the model for every offset still held (10,000 runs)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 30 }),
      fc.nat(),
      (capacity, chunks, pick) => {
        const r = new ReplayBuffer(capacity);
        let all = Buffer.alloc(0);
        for (const c of chunks) {
          r.append(c);
          all = Buffer.concat([all, c]);
          assert.equal(r.end, all.length);
          assert.equal(r.start, Math.max(0, all.length - capacity));
        }
        const from = r.start + (pick % (r.end - r.start + 1));
        assert.deepEqual(r.since(from), new Uint8Array(all.subarray(from)));
        if (r.start > 0) assert.equal(r.since(r.start - 1), undefined);
      },
    ),
    { numRuns: 10_000 },
  );
});

test('a buffer taken up in the middle of a stream numbers its bytes from there', () => {
  const r = new ReplayBuffer(8, 1000);
  assert.equal(r.start, 1000);
  assert.equal(r.end, 1000);
  assert.deepEqual(r.since(1000), new Uint8Array(0));
  assert.equal(r.since(999), undefined);
  r.append(Buffer.from('abcdefghij'));
  assert.equal(r.start, 1002);
  assert.equal(text(r.since(1005)), 'fghij');
  assert.throws(() => new ReplayBuffer(8, -1), RangeError);
});

test('parts: views of a range without a copy, two where it wraps; outside [start, end] refused', () => {
  const r = new ReplayBuffer(8);
  r.append(Buffer.from('abcde'));
  r.append(Buffer.from('fghij')); // the ring now holds cdefghij, wrapped after h
  const joined = (parts: Uint8Array[] | undefined) => parts?.map((p) => Buffer.from(p).toString());
  assert.deepEqual(joined(r.parts(2, 10)), ['cdefgh', 'ij'], 'a wrapped range is two views');
  assert.deepEqual(joined(r.parts(3, 6)), ['def'], 'a range within one is one');
  assert.deepEqual(joined(r.parts(10, 10)), [], 'an empty range has none');
  assert.equal(r.parts(1, 4), undefined, 'overwritten bytes are refused');
  assert.equal(r.parts(4, 11), undefined, 'bytes never written are refused');
  assert.equal(r.parts(6, 5), undefined, 'a range that ends before it starts is refused');
});
