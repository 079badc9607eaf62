/**
 * The page's code receiver hands a file's bytes on as they came (ADR 0124 §The page), with no join of
 * a DATA frame's pieces and no copy of them: each piece it hands on is the only one of its buffer, so
 * the download moves that buffer to its worker (detaching it in the page) as it reads. Here the
 * sender's `files` frames reach the page in mux DATA frames cut across the frames' edges, and a reader
 * that takes every buffer away as it reads still gets each file byte-exact.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encodeFileFrame, type FileFrame, type OfferEntry } from '../../../src-main/protocol/file-frames.js';
import { decodeFrame, encodeFrame, FrameType as F } from '../../../src-main/protocol/mux-frames.js';
import type { BrowserNodeError } from '../../../src-web/node/bytes.js';
import { FilesStreamReceiver, type ArrivingFile } from '../../../src-web/node/file-code-stream.js';
import { BrowserMux, type FrameLink } from '../../../src-web/node/mux.js';
import { until } from '../../helpers/wait.js';

const ID = 'cd'.repeat(16);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A link whose sender side the test plays: frames in, and what the page writes ignored but FIN. */
class Link implements FrameLink {
  listener: ((frame: Uint8Array) => void) | undefined;
  send(frame: Uint8Array): void {
    decodeFrame(frame);
  }
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.listener = listener;
  }
  onClose(): void {}
  close(): void {}
}

/** `frames` on the wire, length-prefixed, one after another. */
function wire(frames: FileFrame[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => {
      const payload = encodeFileFrame(f);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(payload.length, 0);
      return [prefix, payload];
    }),
  );
}

/** Reads a file's stream as the download does: each chunk kept as a copy, its buffer then moved away. */
async function readTakingAway(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(Buffer.from(value));
    structuredClone(value.buffer, { transfer: [value.buffer as ArrayBuffer] });
  }
}

// The small cut splits every length prefix and header too, on smaller files (a frame a few bytes at a
// time costs a turn of the event loop each).
for (const [cut, sizes] of [
  [50_000, [250_000, 1, 130_001]],
  [65_536, [250_000, 1, 130_001]],
  [7_777, [250_000, 1, 130_001]],
  [5, [2_500, 1, 1_301]],
] as const) {
  test(`DATA frames in mux frames of ${cut} bytes, cut across their edges: each file byte-exact while every buffer read is moved away`, async () => {
    const files = sizes.map((n) => randomBytes(n));
    const entries: OfferEntry[] = files.map((f, i) => ({
      path: `f${i}.bin`,
      kind: 'file',
      size: f.length,
      exec: false,
      sha256: sha(f),
    }));
    const link = new Link();
    const arriving: ArrivingFile[] = [];
    let receiver: FilesStreamReceiver | undefined;
    let failed: BrowserNodeError | undefined;
    let done = false;
    new BrowserMux(link, () => (stream) => {
      receiver = new FilesStreamReceiver(stream, 3, {
        offered: () => receiver!.take(),
        file: (f) => arriving.push(f),
        progress: () => undefined,
        interrupted: () => undefined,
        resumed: () => undefined,
        done: () => (done = true),
        failed: (e) => (failed = e),
      });
    });
    link.listener!(encodeFrame({ type: F.Open, streamId: 2, service: 'files', args: { v: 3 } }));
    // DATA of a fifth of the largest file at most, as a sender may cut them (the agent's are 256 KiB).
    const most = Math.ceil(sizes[0] / 5);
    const data: FileFrame[] = files.flatMap((f, index) => {
      const out: FileFrame[] = [];
      for (let at = 0; at < f.length; at += most)
        out.push({ type: 'data', index, offset: at, bytes: f.subarray(at, at + most) });
      return out;
    });
    const bytes = wire([{ type: 'offer', id: ID, entries, more: false }, ...data]);
    const reads: Promise<Buffer>[] = [];
    for (let at = 0; at < bytes.length; at += cut) {
      link.listener!(encodeFrame({ type: F.Data, streamId: 2, payload: bytes.subarray(at, at + cut) }));
      while (reads.length < arriving.length) reads.push(readTakingAway(arriving[reads.length]!.stream));
      // The reader takes what arrived (and moves its buffers away) before the next mux frame comes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const got = await Promise.all(reads);
    assert.equal(failed, undefined, `nothing failed: ${failed?.message}`);
    assert.deepEqual(
      got.map((g) => sha(g)),
      files.map((f) => sha(f)),
      'every file byte-exact, in the order sent',
    );
    await until('every file is verified (the COMPLETE made)', () => done, 5000);
  });
}
