/**
 * hashFile sizes its read buffer from the size the walk saw (bench: 10,000 files of 1 KiB hashed with
 * a 1 MiB buffer each spent a third of the walk in GC): whatever the hint, every byte is hashed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashFile, KEEP_FILE_BYTES, walkTree } from '../../../src-main/files/tree-walk.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('hashFile hashes every byte whatever the size hint (exact, too small, zero, with a start)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-hash-'));
  try {
    for (const n of [0, 1, 1024, 1024 * 1024 + 7, 3 * 1024 * 1024]) {
      const bytes = randomBytes(n);
      const p = join(dir, `f${n}`);
      writeFileSync(p, bytes);
      assert.equal(await hashFile(p, 0, n), sha(bytes), `exact hint, ${n} bytes`);
      assert.equal(await hashFile(p), sha(bytes), `no hint, ${n} bytes`);
      // The file grew after the walk saw its size: still every byte.
      assert.equal(await hashFile(p, 0, Math.floor(n / 3)), sha(bytes), `small hint, ${n} bytes`);
      if (n > 10) assert.equal(await hashFile(p, 10, n), sha(bytes.subarray(10)), `start 10, ${n} bytes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('walkTree gives each small file its SHA-256; a big one has none (hashed while sent) but its mtime', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-walk-'));
  try {
    const top = join(dir, 'top');
    mkdirSync(join(top, 'sub'), { recursive: true });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 50; i++) files.set(`top/sub/s${i}`, randomBytes(i * 37));
    files.set('top/big', randomBytes(2 * 1024 * 1024 + 3));
    for (const [rel, b] of files) writeFileSync(join(dir, rel), b);
    const walked = await walkTree([top]);
    let seen = 0;
    for (const [i, e] of walked.entries.entries()) {
      if (e.kind !== 'file') continue;
      if (e.size > KEEP_FILE_BYTES) {
        assert.equal(e.sha256, undefined, e.path);
        assert.equal(typeof walked.mtimes[i], 'number', e.path);
      } else {
        assert.equal(e.sha256, sha(files.get(e.path)!), e.path);
        assert.equal(walked.mtimes[i], undefined, e.path);
      }
      seen++;
    }
    assert.equal(seen, files.size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('walkTree keeps small files’ bytes for the send (as hashed), not big ones; the order does not vary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-walk-'));
  try {
    const top = join(dir, 'top');
    for (let d = 0; d < 5; d++) mkdirSync(join(top, `d${d}`), { recursive: true });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 300; i++) files.set(`top/d${i % 5}/s${i}`, randomBytes((i * 131) % 5000));
    files.set('top/big', randomBytes(KEEP_FILE_BYTES + 1));
    for (const [rel, b] of files) writeFileSync(join(dir, rel), b);
    const walked = await walkTree([top]);
    for (const [i, e] of walked.entries.entries()) {
      if (e.kind !== 'file') continue;
      const kept = walked.contents[i];
      if (e.path === 'top/big') assert.equal(kept, undefined, 'a big file is read again when sent');
      else assert.deepEqual(kept, files.get(e.path), e.path);
    }
    const again = await walkTree([top]);
    assert.deepEqual(
      again.entries.map((e) => e.path),
      walked.entries.map((e) => e.path),
    );
    assert.deepEqual(again.entries, walked.entries);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
