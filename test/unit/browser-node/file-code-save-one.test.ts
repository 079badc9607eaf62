/**
 * **Save** of one file of several in the page (ADR 0124 §The page, issue 86): the page's code receiver
 * asks for that file alone — its WANT says every other file is here whole — so the sender sends only
 * it; once it is verified the page resets the stream without cancelling, holds the sender's next OFFER
 * until another file is asked for, and sends the COMPLETE (the sender's tree hash) once every file was
 * verified over the asks. In memory: a sender played with the agent's own mux and `files` frames.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { treeHash } from '../../../src-main/files/tree-walk.js';
import {
  decodeFileFrame,
  encodeFileFrame,
  type FileFrame,
  type OfferEntry,
} from '../../../src-main/protocol/file-frames.js';
import { decodeFrame, encodeFrame, FrameType as F } from '../../../src-main/protocol/mux-frames.js';
import type { BrowserNodeError } from '../../../src-web/node/bytes.js';
import { FilesStreamReceiver, type ArrivingFile } from '../../../src-web/node/file-code-stream.js';
import { BrowserMux, type FrameLink } from '../../../src-web/node/mux.js';
import { until } from '../../helpers/wait.js';

const ID = 'cd'.repeat(16);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The sender's side of one link: the `files` streams it opens, and what the page sends on each. */
class SenderLink implements FrameLink {
  private listener: ((frame: Uint8Array) => void) | undefined;
  /** The `files` frames the page wrote, by stream. */
  readonly got = new Map<number, FileFrame[]>();
  /** The streams the page reset, with the code it gave. */
  readonly resets = new Map<number, string>();
  private readonly pending = new Map<number, Buffer>();
  private next = 2;

  send(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    if (f.type === F.Rst) this.resets.set(f.streamId, f.code);
    if (f.type !== F.Data || f.streamId % 2 !== 0) return;
    let buf = Buffer.concat([this.pending.get(f.streamId) ?? Buffer.alloc(0), f.payload]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const n = buf.readUInt32BE(0);
      const list = this.got.get(f.streamId) ?? [];
      list.push(decodeFileFrame(buf.subarray(4, 4 + n)));
      this.got.set(f.streamId, list);
      buf = buf.subarray(4 + n);
    }
    this.pending.set(f.streamId, buf);
  }
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.listener = listener;
  }
  onClose(): void {}
  close(): void {}

  /** Opens a `files` stream (even IDs: the page dialed the link) and offers `entries` on it. */
  offer(entries: OfferEntry[]): number {
    const id = this.next;
    this.next += 2;
    this.listener!(encodeFrame({ type: F.Open, streamId: id, service: 'files', args: { v: 3 } }));
    this.frame(id, { type: 'offer', id: ID, entries, more: false });
    return id;
  }
  frame(stream: number, frame: FileFrame): void {
    const payload = encodeFileFrame(frame);
    const wire = Buffer.concat([Buffer.alloc(4), payload]);
    wire.writeUInt32BE(payload.length, 0);
    for (let at = 0; at < wire.length; at += 64 * 1024)
      this.listener!(
        encodeFrame({ type: F.Data, streamId: stream, payload: wire.subarray(at, at + 64 * 1024) }),
      );
  }
  /** File `index` whole, in DATA frames of 100,000 bytes, and its DIGEST when it was offered without one. */
  sendFile(stream: number, index: number, file: Uint8Array, digest: boolean): void {
    for (let at = 0; at < file.length; at += 100_000)
      this.frame(stream, { type: 'data', index, offset: at, bytes: file.subarray(at, at + 100_000) });
    if (digest) this.frame(stream, { type: 'digest', index, sha256: sha(file) });
  }
  wanted(stream: number): Array<[number, number]> | undefined {
    const w = this.got.get(stream)?.find((f) => f.type === 'want');
    return w?.type === 'want' ? w.have : undefined;
  }
}

/** Everything a file's stream yields, read as a download reads it. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(parts);
    parts.push(value);
  }
}

test('Save of one file of three: the sender is asked for it alone, then for the others one by one; COMPLETE after the last', async () => {
  const files = [randomBytes(250_000), randomBytes(420_000), randomBytes(1_000)];
  // The second offered without its SHA-256 (a big file is hashed while it is sent): its DIGEST follows.
  const entries: OfferEntry[] = files.map((f, i) => ({
    path: `f${i}.bin`,
    kind: 'file',
    size: f.length,
    exec: false,
    ...(i === 1 ? {} : { sha256: sha(f) }),
  }));
  const arrived: ArrivingFile[] = [];
  let receiver: FilesStreamReceiver | undefined;
  let failed: BrowserNodeError | undefined;
  let done = false;
  const heard: string[] = [];
  const link = new SenderLink();
  new BrowserMux(link, () => (stream) => {
    if (receiver) receiver.resume(stream, 3);
    else
      receiver = new FilesStreamReceiver(stream, 3, {
        offered: () => undefined,
        file: (f) => arrived.push(f),
        progress: () => undefined,
        interrupted: (why) => heard.push(`interrupted: ${why}`),
        resumed: () => undefined,
        done: () => (done = true),
        failed: (e) => (failed = e),
      });
  });
  const first = link.offer(entries);
  receiver!.take([1]);
  assert.deepEqual(
    link.wanted(first),
    [
      [0, files[0]!.length],
      [2, files[2]!.length],
    ],
    'the WANT says the others are here: only the second is sent',
  );
  link.sendFile(first, 1, files[1]!, true);
  assert.equal(arrived.length, 1, 'one file arrived');
  assert.equal(arrived[0]!.index, 1, 'the one asked for');
  assert.equal(sha(await readAll(arrived[0]!.stream)), sha(files[1]!), 'byte-exact, verified');
  await until('the page reset the stream the file came on', () => link.resets.get(first), 5000);
  assert.notEqual(link.resets.get(first), 'CANCELLED', 'a reset the sender carries on from, not a cancel');
  assert.equal(failed, undefined, `nothing failed: ${failed?.message}`);
  assert.deepEqual(heard, [], 'the page did not take its own reset for a lost link');

  // The sender offers again; nothing is asked until the next Save.
  const second = link.offer(entries);
  assert.equal(link.wanted(second), undefined, 'no WANT before another file is asked for');
  receiver!.take([0]);
  assert.deepEqual(
    link.wanted(second),
    [
      [1, files[1]!.length],
      [2, files[2]!.length],
    ],
    'the second ask: the first file alone',
  );
  link.sendFile(second, 0, files[0]!, false);
  assert.equal(sha(await readAll(arrived[1]!.stream)), sha(files[0]!), 'the first file, byte-exact');
  await until('the second stream was reset too', () => link.resets.get(second), 5000);

  const third = link.offer(entries);
  receiver!.take([2]);
  assert.deepEqual(
    link.wanted(third),
    [
      [0, files[0]!.length],
      [1, files[1]!.length],
    ],
    'the last file alone',
  );
  link.sendFile(third, 2, files[2]!, false);
  assert.equal(sha(await readAll(arrived[2]!.stream)), sha(files[2]!), 'the third file, byte-exact');
  const complete = await until(
    'the page sends the COMPLETE',
    () => link.got.get(third)?.find((f) => f.type === 'complete'),
    5000,
  );
  const digests = new Map([[1, sha(files[1]!)]]);
  assert.equal(
    complete.type === 'complete' && complete.treeHash,
    treeHash(entries, digests),
    "the tree hash is the sender's",
  );
  assert.equal(link.resets.get(third), undefined, 'the last stream is ended, not reset');
  assert.ok(done, 'done once every file was verified');
});

test('DATA for a file not asked for fails the transfer', () => {
  const files = [randomBytes(5_000), randomBytes(6_000)];
  const entries: OfferEntry[] = files.map((f, i) => ({
    path: `g${i}.bin`,
    kind: 'file',
    size: f.length,
    exec: false,
    sha256: sha(f),
  }));
  let receiver: FilesStreamReceiver | undefined;
  let failed: BrowserNodeError | undefined;
  const link = new SenderLink();
  new BrowserMux(link, () => (stream) => {
    receiver = new FilesStreamReceiver(stream, 3, {
      offered: () => undefined,
      file: () => undefined,
      progress: () => undefined,
      interrupted: () => undefined,
      resumed: () => undefined,
      done: () => undefined,
      failed: (e) => (failed = e),
    });
  });
  const stream = link.offer(entries);
  receiver!.take([1]);
  link.sendFile(stream, 0, files[0]!, false);
  assert.match(failed?.message ?? '', /DATA for 0, which was not asked for/, `failed: ${failed?.message}`);
});
