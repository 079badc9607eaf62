/**
 * The sender's read-ahead (files/read-ahead.ts, ADR 0060): every file's missing bytes come out as
 * DATA frames in order, byte-exact, from disk or from bytes the walk kept; several files are opened
 * and read before the first frame is taken (a folder of small files costs no disk round trip per
 * file); a file that got shorter is an error that names it; every file is let go at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadAhead, type ReadFrame, type SendJob } from '../../../src-main/files/read-ahead.js';
import { decodeFileFrame, MAX_DATA_BYTES } from '../../../src-main/protocol/file-frames.js';
import { LengthPrefixedDecoder } from '../../../src-main/protocol/length-prefixed.js';
import { until } from '../../helpers/wait.js';

/**
 * How many of this process's descriptors are open on files under `dir`: only those, since the grouped
 * unit run shares the process with other files' tests, whose sockets may close meanwhile.
 */
const openFds = (dir: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false; // closed meanwhile (readdir's own descriptor among them)
    }
  }).length;

/** Decodes a wire frame as the receiver does. */
function decode(f: ReadFrame) {
  const [payload, ...rest] = new LengthPrefixedDecoder(1 << 24).push(f.wire);
  assert.equal(rest.length, 0, 'one frame per wire buffer');
  const frame = decodeFileFrame(payload!);
  if (frame.type !== 'data') assert.fail(`a ${frame.type} frame`);
  return frame;
}

test('frames come out in order and byte-exact, from where each file was left, from disk or memory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ahead-'));
  try {
    const sizes = [1, 1024, 0, MAX_DATA_BYTES, MAX_DATA_BYTES + 1, 3 * MAX_DATA_BYTES + 17, 5000];
    const bodies = sizes.map((n) => randomBytes(n));
    const jobs: SendJob[] = bodies.map((b, i) => {
      const source = join(dir, `f${i}`);
      writeFileSync(source, b);
      // One resumed halfway, one sent from memory (no source at all).
      const from = i === 5 ? MAX_DATA_BYTES + 5 : 0;
      return i === 6
        ? { index: i, source: null, from, size: b.length, bytes: b }
        : { index: i, source, from, size: b.length };
    });
    const got = new Map<number, Buffer[]>();
    const reads = new ReadAhead(jobs, (why) => new Error(why));
    const expectOffset = new Map(jobs.map((j) => [j.index, j.from]));
    let lastIndex = -1;
    for (let f = await reads.next(); f; f = await reads.next()) {
      const d = decode(f);
      assert.equal(d.index, f.index);
      assert.ok(d.index >= lastIndex, 'files in order');
      lastIndex = d.index;
      assert.equal(d.offset, expectOffset.get(d.index), `offset of ${d.index}`);
      assert.ok(
        d.bytes.length <= MAX_DATA_BYTES && d.bytes.length > 0,
        'd.bytes.length <= MAX_DATA_BYTES && d.bytes.length > 0',
      );
      expectOffset.set(d.index, d.offset + d.bytes.length);
      (got.get(d.index) ?? got.set(d.index, []).get(d.index)!).push(Buffer.from(d.bytes));
    }
    for (const j of jobs) {
      const want = bodies[j.index]!.subarray(j.from);
      assert.deepEqual(Buffer.concat(got.get(j.index) ?? []), want, `file ${j.index}`);
    }
    await reads.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('several small files are opened and read before the first frame is taken; all are let go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ahead-'));
  try {
    const jobs: SendJob[] = [];
    for (let i = 0; i < 200; i++) {
      const source = join(dir, `s${i}`);
      writeFileSync(source, randomBytes(1024));
      jobs.push({ index: i, source, from: 0, size: 1024 });
    }
    const before = openFds(dir);
    const reads = new ReadAhead(jobs, (why) => new Error(why));
    const first = await reads.next();
    assert.equal(first?.index, 0);
    // Reads of the next files were issued at once, not one after the other: by now more than one
    // file is open or done with, well ahead of what was taken.
    const ahead = (reads as unknown as { queue: unknown[] }).queue.length;
    assert.ok(ahead >= 16, `frames read ahead: ${ahead}`);
    let n = 1;
    while (await reads.next()) n++;
    assert.equal(n, 200);
    await reads.dispose();
    await until('openFds(dir) <= before', () => openFds(dir) <= before);
    assert.equal(openFds(dir), before, 'every file closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that got shorter than the walk saw is an error naming it; stopping early lets every file go', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ahead-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, randomBytes(3 * MAX_DATA_BYTES));
    writeFileSync(b, randomBytes(10));
    truncateSync(a, MAX_DATA_BYTES);
    const before = openFds(dir);
    const reads = new ReadAhead(
      [
        { index: 0, source: a, from: 0, size: 3 * MAX_DATA_BYTES },
        { index: 1, source: b, from: 0, size: 10 },
      ],
      (why) => new Error(why),
    );
    // The frames it still had may come first (read together, they may not): then the error.
    const drain = async () => {
      for (let k = 0; k < 5; k++) await reads.next();
    };
    await assert.rejects(drain(), new RegExp(`${a} got shorter while it was sent`));
    await reads.dispose();
    await until('openFds(dir) <= before', () => openFds(dir) <= before);
    assert.equal(openFds(dir), before, 'every file closed');
    const missing = new ReadAhead(
      [{ index: 0, source: join(dir, 'gone'), from: 0, size: 5 }],
      (w) => new Error(w),
    );
    await assert.rejects(missing.next(), /cannot read .*gone: .*ENOENT/);
    await missing.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file hashed while sent that changed (another mtime) is an error that names it; unchanged it is sent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-ahead-'));
  try {
    const source = join(dir, 'f');
    const body = randomBytes(2 * MAX_DATA_BYTES + 3);
    writeFileSync(source, body);
    const { mtimeMs } = statSync(source);
    const drain = async (job: SendJob) => {
      const reads = new ReadAhead([job], (why) => new Error(why));
      try {
        let n = 0;
        for (let f = await reads.next(); f; f = await reads.next()) n += f.length;
        return n;
      } finally {
        await reads.dispose();
      }
    };
    const job = { index: 0, source, from: 0, size: body.length, mtimeMs };
    assert.equal(await drain(job), body.length);
    // Written again since the walk saw it: what would be sent may mix two versions.
    utimesSync(source, new Date(), new Date(mtimeMs + 5_000));
    await assert.rejects(drain(job), /f changed while it was sent; run file send again/);
    assert.equal(openFds(dir), 0, 'every file let go');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
