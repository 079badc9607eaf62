/**
 * The SHA-256 computed on the hashing thread (files/hash-thread.ts, ADR 0071) is node:crypto's digest of
 * the same bytes, however they are cut, several at once, with the caller's buffer reused after each
 * update; and the thread does not keep the process alive (this file ends).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hashBacklog, hashCaughtUp, ThreadHash } from '../../../src-main/files/hash-thread.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('the digest is the inline SHA-256 of the bytes fed, however they are cut', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 12_345);
  const cuts = [1, 1000, 256 * 1024, 1024 * 1024, 1024 * 1024 + 7, data.length];
  for (const cut of cuts) {
    const h = new ThreadHash();
    for (let at = 0; at < data.length; at += cut) h.update(data.subarray(at, at + cut));
    assert.equal(await h.digest(), sha(data), `cut ${cut}`);
  }
  assert.equal(await new ThreadHash().digest(), sha(Buffer.alloc(0)));
});

test('a reused buffer and interleaved hashes keep each digest their own', async () => {
  const a = randomBytes(2 * 1024 * 1024 + 5);
  const b = randomBytes(1024 * 1024 - 3);
  const ha = new ThreadHash();
  const hb = new ThreadHash();
  const scratch = Buffer.alloc(64 * 1024);
  for (let at = 0; at < Math.max(a.length, b.length); at += scratch.length) {
    for (const [h, src] of [
      [ha, a],
      [hb, b],
    ] as const) {
      if (at >= src.length) continue;
      const n = src.copy(scratch, 0, at, at + scratch.length);
      h.update(scratch.subarray(0, n));
      scratch.fill(0xee); // the caller reuses its buffer at once
    }
  }
  const dropped = new ThreadHash().update(a);
  dropped.drop();
  assert.deepEqual(await Promise.all([hb.digest(), ha.digest()]), [sha(b), sha(a)]);
  await hashCaughtUp();
  assert.equal(hashBacklog(), 0);
  await assert.rejects(ha.digest(), /already finished/);
});
