/**
 * The page's code receiver carrying a transfer on after its link dropped (ADR 0124 §The page, issue 86
 * item 4), in memory: a sender played with the agent's own frames (mux and `files`) over links the test
 * drops. The sender's next stream offers the same transfer; the page's WANT says what arrived, and the
 * download that was running goes on from there, byte-exact, through the same ReadableStream.
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
import { BrowserNodeError } from '../../../src-web/node/bytes.js';
import { FilesStreamReceiver, type ArrivingFile } from '../../../src-web/node/file-code-stream.js';
import { BrowserMux, type FrameLink } from '../../../src-web/node/mux.js';
import { until } from '../../helpers/wait.js';

const ID = 'ab'.repeat(16);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** One link: what the page sends on it (decoded), and the sender's side of one `files` stream. */
class Link implements FrameLink {
  private listener: ((frame: Uint8Array) => void) | undefined;
  private readonly closers: ((reason: string) => void)[] = [];
  /** The `files` frames the page wrote on the stream. */
  readonly got: FileFrame[] = [];
  private pending = Buffer.alloc(0);
  private ended = false;
  finSeen = false;

  send(frame: Uint8Array): void {
    const f = decodeFrame(frame);
    if (f.type === F.Fin) this.finSeen = true;
    if (f.type !== F.Data || f.streamId !== 2) return;
    this.pending = Buffer.concat([this.pending, f.payload]);
    while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readUInt32BE(0)) {
      const n = this.pending.readUInt32BE(0);
      this.got.push(decodeFileFrame(this.pending.subarray(4, 4 + n)));
      this.pending = this.pending.subarray(4 + n);
    }
  }
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.listener = listener;
  }
  onClose(listener: (reason: string) => void): void {
    this.closers.push(listener);
  }
  close(): void {
    this.ended = true;
  }
  /** The sender opens its `files` stream (ID 2: the page dialed the link). */
  open(): void {
    this.listener!(encodeFrame({ type: F.Open, streamId: 2, service: 'files', args: { v: 3 } }));
  }
  /** One `files` frame from the sender, in mux DATA frames of 64 KiB at most. */
  frame(frame: FileFrame): void {
    const payload = encodeFileFrame(frame);
    const wire = Buffer.concat([Buffer.alloc(4), payload]);
    wire.writeUInt32BE(payload.length, 0);
    for (let at = 0; at < wire.length; at += 64 * 1024)
      this.listener!(encodeFrame({ type: F.Data, streamId: 2, payload: wire.subarray(at, at + 64 * 1024) }));
  }
  /** `file`'s bytes from `from` to `to` as DATA frames of 100,000 bytes. */
  data(file: Uint8Array, from: number, to: number): void {
    for (let at = from; at < to; at += 100_000)
      this.frame({
        type: 'data',
        index: 0,
        offset: at,
        bytes: file.subarray(at, Math.min(to, at + 100_000)),
      });
  }
  /** The link dies (the relay restarted). */
  drop(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const c of this.closers.splice(0)) c(reason);
  }
  wanted(): Array<[number, number]> | undefined {
    const w = this.got.find((f) => f.type === 'want');
    return w?.type === 'want' ? w.have : undefined;
  }
}

/** A page receiver fed by links the test makes: the first one's stream makes it, later ones resume it. */
function harness(entries: OfferEntry[]) {
  const heard: string[] = [];
  const files: ArrivingFile[] = [];
  let receiver: FilesStreamReceiver | undefined;
  let failed: BrowserNodeError | undefined;
  let done = false;
  const events = {
    offered: () => heard.push('offered'),
    file: (f: ArrivingFile) => files.push(f),
    progress: () => undefined,
    interrupted: (why: string) => heard.push(`interrupted: ${why}`),
    resumed: () => heard.push('resumed'),
    done: () => (done = true),
    failed: (e: BrowserNodeError) => (failed = e),
  };
  const link = (): Link => {
    const l = new Link();
    new BrowserMux(l, () => (stream) => {
      if (receiver) receiver.resume(stream, 3);
      else receiver = new FilesStreamReceiver(stream, 3, events);
    });
    l.open();
    l.frame({ type: 'offer', id: ID, entries, more: false });
    return l;
  };
  return {
    link,
    heard,
    files,
    get receiver() {
      return receiver!;
    },
    get failed() {
      return failed;
    },
    get done() {
      return done;
    },
  };
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

const SIZE = 600_000;
const fileEntry = (file: Uint8Array, withHash: boolean): OfferEntry => ({
  path: 'big.bin',
  kind: 'file',
  size: file.length,
  exec: false,
  ...(withHash ? { sha256: sha(file) } : {}),
});

test('a link dropped half way: the next stream is answered with what arrived, and the same download carries on byte-exact', async () => {
  const file = randomBytes(SIZE);
  const h = harness([fileEntry(file, false)]);
  const first = h.link();
  h.receiver.take();
  assert.deepEqual(first.wanted(), [], 'the first WANT asks for everything');
  first.data(file, 0, 300_000);
  const read = readAll(h.files[0]!.stream);
  first.drop('the relay restarted');
  assert.equal(h.failed, undefined, `a dropped link fails nothing: ${h.failed?.message}`);
  assert.ok(
    h.heard.includes('interrupted: the relay restarted'),
    `the page heard the drop: ${h.heard.join('; ')}`,
  );
  const second = h.link();
  assert.deepEqual(second.wanted(), [[0, 300_000]], 'the WANT says the bytes that arrived');
  assert.ok(h.heard.at(-1) === 'resumed', `carried on: ${h.heard.join('; ')}`);
  second.data(file, 300_000, SIZE);
  second.frame({ type: 'digest', index: 0, sha256: sha(file) });
  const got = await read;
  assert.equal(got.length, SIZE, 'no byte twice, none missing');
  assert.equal(sha(got), sha(file), 'the download is the file');
  await until('the page completes', () => second.got.find((f) => f.type === 'complete'), 5000);
  const complete = second.got.find((f) => f.type === 'complete');
  assert.equal(
    complete?.type === 'complete' && complete.treeHash,
    treeHash([fileEntry(file, false)], new Map([[0, sha(file)]])),
    'the tree hash is the sender’s',
  );
  assert.equal(h.files.length, 1, 'one download, not a second one');
  assert.ok(h.done, 'done');
});

test('a link dropped after the last byte but before its DIGEST asks for the last byte again, and the DIGEST with it', async () => {
  const file = randomBytes(SIZE);
  const h = harness([fileEntry(file, false)]);
  const first = h.link();
  h.receiver.take();
  first.data(file, 0, SIZE);
  const read = readAll(h.files[0]!.stream);
  first.drop('the socket died');
  const second = h.link();
  assert.deepEqual(second.wanted(), [[0, SIZE - 1]], 'the last byte is wanted again, so its DIGEST comes');
  second.data(file, SIZE - 1, SIZE);
  second.frame({ type: 'digest', index: 0, sha256: sha(file) });
  const got = await read;
  assert.equal(sha(got), sha(file), 'byte-exact: the last byte once');
  assert.equal(h.failed, undefined, `nothing failed: ${h.failed?.message}`);
});

test('a link dropped after every file was verified: the sender that offers again is answered with the COMPLETE again', async () => {
  const file = randomBytes(SIZE);
  const h = harness([fileEntry(file, true)]);
  const first = h.link();
  h.receiver.take();
  first.data(file, 0, SIZE);
  assert.equal(sha(await readAll(h.files[0]!.stream)), sha(file), 'the download is whole');
  await until('the COMPLETE is written', () => first.got.find((f) => f.type === 'complete'), 5000);
  first.drop('the relay restarted');
  assert.equal(h.receiver.open, true, 'still waiting for the sender to hear it');
  const second = h.link();
  const again = second.got.find((f) => f.type === 'complete');
  assert.deepEqual(
    again,
    first.got.find((f) => f.type === 'complete'),
    'the same COMPLETE',
  );
  assert.equal(second.wanted(), undefined, 'nothing is wanted');
  assert.ok(second.finSeen, 'the page ended its side');
  assert.equal(h.failed, undefined, 'nothing failed');
});

test('given up after a drop: the download fails, and the error says what arrived', async () => {
  const file = randomBytes(SIZE);
  const h = harness([fileEntry(file, true)]);
  const first = h.link();
  h.receiver.take();
  first.data(file, 0, 300_000);
  const read = readAll(h.files[0]!.stream);
  first.drop('the relay restarted');
  h.receiver.giveUp(new BrowserNodeError('TRANSFER_FAILED', 'lost office 30 times: given up'));
  await assert.rejects(read, /lost office 30 times/, 'the download fails');
  assert.match(
    h.failed?.message ?? '',
    /^lost office 30 times: given up \(the transfer stopped: the relay restarted\); 0 of 1 files verified, 0\.3 MiB of 0\.6 MiB arrived$/,
  );
});

test('a sender that offers other files on the stream that was to carry the transfer on is refused', () => {
  const file = randomBytes(SIZE);
  const h = harness([fileEntry(file, true)]);
  const first = h.link();
  h.receiver.take();
  first.data(file, 0, 300_000);
  first.drop('the relay restarted');
  const second = new Link();
  new BrowserMux(second, () => (stream) => h.receiver.resume(stream, 3));
  second.open();
  second.frame({
    type: 'offer',
    id: ID,
    entries: [{ ...fileEntry(file, true), path: 'other.bin' }],
    more: false,
  });
  assert.match(h.failed?.message ?? '', /the offer carried on is not the one received/);
  assert.equal(second.wanted(), undefined, 'nothing is wanted of it');
});
