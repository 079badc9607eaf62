/**
 * The writes of one receiving session (files/file-receiving-session.ts): small files written in the
 * background while the next frames are read, the big file being received with one write under way at
 * a time taking every frame that arrived meanwhile (ADR 0072), and the first write that failed, which
 * ends the session.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { MAX_DATA_BYTES } from '../protocol/file-frames.js';
import { releaseReceived } from '../transport/receive-slabs.js';

/** Small files (one frame each) one session keeps being written at once. */
export const WRITES_AHEAD = 16;
/**
 * Bytes of a big file handed to its write under way or waiting for it, at most (4 MiB, sixteen
 * frames); the stream is not read meanwhile, so the mux's credit holds the sender back. A big file has
 * one write under way at a time (what is on disk stays a prefix of it); a frame that arrives with no
 * write under way is written at once, and the frames that arrive while one is under way all go in the
 * next `writev` (ADR 0072). Before, each frame was a write of its own queued behind the others: a
 * write's end and the next one's start each waited for a turn of the event loop, the writes set the
 * pace (the queue was full at 3,700–3,975 of a GiB's 4,096 frames) and up to 16 MiB of frames waited
 * in the stream, long enough for V8 to promote them (15 full collections a GiB instead of 1–2).
 */
export const WRITE_AHEAD_BYTES = 16 * MAX_DATA_BYTES;

/** The file being received over several frames. */
export interface BigFile {
  index: number;
  fh: FileHandle;
  hash: Hash;
  /** The write under way (one at a time), settled once the next one, if any, has started. */
  writing: Promise<void> | undefined;
  writingBytes: number;
  /** Frames' bytes not yet handed to a write, and where the first of them goes. */
  batch: Uint8Array[];
  batchAt: number;
  batchBytes: number;
}

/**
 * Opens file `index` of staging at `path` to receive its bytes from `have` on, with the SHA-256 of the
 * `have` bytes it holds already (a resumed transfer).
 */
export async function openBigFile(path: string, index: number, have: number): Promise<BigFile> {
  const hash = createHash('sha256');
  if (have > 0) {
    const fhRead = await open(path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (let pos = 0; pos < have;) {
        const { bytesRead } = await fhRead.read(buf, 0, Math.min(buf.length, have - pos), pos);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally {
      await fhRead.close();
    }
  }
  return {
    index,
    fh: await open(path, have === 0 ? 'w' : 'r+', 0o600),
    hash,
    writing: undefined,
    writingBytes: 0,
    batch: [],
    batchAt: have,
    batchBytes: 0,
  };
}

export class ReceiveWrites {
  /** Small files being written (wholeInOneFrame). */
  readonly smallFiles = new Set<Promise<void>>();
  /** The first write that failed (a full disk…): the session ends with it. */
  error: Error | undefined;

  /** Keeps `err` when it is the first write that failed. */
  fail(err: unknown): void {
    this.error ??= err instanceof Error ? err : new Error(String(err));
  }

  /** Counts a background write of a small file among those under way until it settles. */
  track(w: Promise<void>): void {
    this.smallFiles.add(w);
    const forget = () => this.smallFiles.delete(w);
    w.then(forget, forget);
  }

  /**
   * Hands the batched bytes of `cur` to one background writev, unless one is under way: then the write
   * that ends it hands over what was batched meanwhile. One at a time, so what is on disk stays a
   * prefix of the file whenever the agent stops (a resume takes the file's size as what it holds);
   * nothing is written after a write that failed. Once the write settled its bytes are read no more
   * (hashed before they were batched): they are released, so a link that reads into reused slabs
   * reads the next ones into the same memory (transport/receive-slabs.ts).
   */
  writeBatch(cur: BigFile): void {
    if (cur.writing || cur.batchBytes === 0 || this.error) return;
    const bufs = cur.batch;
    const at = cur.batchAt;
    const total = cur.batchBytes;
    cur.batch = [];
    cur.batchAt += total;
    cur.batchBytes = 0;
    cur.writingBytes = total;
    cur.writing = cur.fh
      .writev(bufs, at)
      .then(({ bytesWritten }) => {
        if (bytesWritten !== total) throw new Error(`a write of ${total} bytes wrote ${bytesWritten}`);
      })
      .catch((err: unknown) => {
        this.fail(err);
      })
      .then(() => {
        for (const b of bufs) releaseReceived(b);
        cur.writing = undefined;
        cur.writingBytes = 0;
        this.writeBatch(cur);
      });
  }

  /** Resolves once `cur` has no write under way and nothing batched (or a write failed). */
  async writesDone(cur: BigFile): Promise<void> {
    this.writeBatch(cur);
    while (cur.writing) await cur.writing;
  }

  /** Throws the first write that failed in the background, if any. */
  throwIfWriteFailed(): void {
    const err = this.error;
    if (err) throw err;
  }
}
