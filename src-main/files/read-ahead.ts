/**
 * The sender's reads, ahead of the stream (ADR 0060): the DATA frames of every file the
 * receiver lacks, in order, each read from disk straight into its frame on the wire (dataFrameBuffer:
 * no copy) while the frames before it are being sent, up to READ_AHEAD_BYTES read and not yet taken.
 * The next files are opened while the one before is still being read, so a folder of small files
 * costs no round trip to the disk per file; a small file the walk kept in memory is framed from there.
 */
import { shownSource, sourcePath } from './source-path.js';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { errorMessage } from '../core/errors.js';
import {
  DATA_WIRE_HEADER_BYTES,
  dataFrameBuffer,
  dataFrameInto,
  MAX_DATA_BYTES,
} from '../protocol/file-frames.js';
import { FrameBuffers } from '../transport/frame-buffers.js';

/** Bytes read ahead of the stream at most (4 MiB: sixteen 256 KiB frames, or many small files). */
export const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/** Frames being read or read and not yet taken at most (many small files: open files at once). */
export const READ_AHEAD_FRAMES = 64;
/** Frames of one file read in one call (readv: 1 MiB; each call costs the main thread, not only the disk). */
export const READ_GROUP_FRAMES = 4;

/** Frames this long or longer are read into reused buffers (a fresh 256 KiB each cost page faults and GC). */
const POOLED_FROM_BYTES = 64 * 1024;
/**
 * Buffers of a whole DATA frame, reused once the stream's write callback said it took the frame (the
 * link copied it out: transport/link.ts PartsLink). 24 kept: the read-ahead's 16 and a few in the
 * stream.
 */
export const frameBuffers = new FrameBuffers(DATA_WIRE_HEADER_BYTES + MAX_DATA_BYTES, 24);

/** One file to send from byte `from` to its end (`size`), from `source` or from `bytes` the walk kept. */
export interface SendJob {
  index: number;
  source: string | null;
  from: number;
  size: number;
  bytes?: Buffer | undefined;
  /**
   * The file's modification time when it was walked, for a file hashed while it is sent: after its last
   * read it must still have that time and `size`, or what was sent may mix two versions of it.
   */
  mtimeMs?: number | undefined;
}

/** A DATA frame ready for the wire: `length` file bytes of `index` at `offset`. */
export interface ReadFrame {
  index: number;
  offset: number;
  length: number;
  wire: Buffer;
  /** The reused buffer `wire` is a view of: give it back (frameBuffers) once the frame was written. */
  pooled?: Buffer;
}

interface OpenFile {
  fh: Promise<FileHandle>;
  /** Reads issued and not settled. */
  pending: number;
  /** Every read of the file was issued: it closes when the last settles. */
  issuedAll: boolean;
  closed?: Promise<void>;
}

export class ReadAhead {
  private readonly queue: Array<{ length: number; frame: Promise<ReadFrame> }> = [];
  private queuedBytes = 0;
  private job = 0;
  private pos: number;
  private readonly files = new Map<number, OpenFile>();
  private disposed = false;
  /** Closes of files read to their end, under way: dispose waits for them too (they left `files`). */
  private readonly closing = new Set<Promise<void>>();

  /**
   * @param fail makes the error for a file that cannot be read or got shorter (one that trying again
   *   will not fix)
   */
  constructor(
    private readonly jobs: readonly SendJob[],
    private readonly fail: (why: string) => Error,
    private readonly aheadBytes = READ_AHEAD_BYTES,
    private readonly aheadFrames = READ_AHEAD_FRAMES,
  ) {
    this.pos = jobs[0]?.from ?? 0;
  }

  /** The next frame in order, or undefined after the last. Rejects with `fail`'s error. */
  async next(): Promise<ReadFrame | undefined> {
    this.fill();
    const head = this.queue.shift();
    if (!head) return undefined;
    this.queuedBytes -= head.length;
    const frame = await head.frame;
    this.fill();
    return frame;
  }

  /** Lets go of every file (waiting for reads under way); no frame is read after. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const left = this.queue.splice(0);
    this.queuedBytes = 0;
    await Promise.allSettled(left.map((q) => q.frame));
    await Promise.allSettled([
      ...[...this.files.values()].map(
        (f) => (f.closed ??= f.fh.then((fh) => fh.close()).catch(() => undefined)),
      ),
      ...this.closing,
    ]);
    this.files.clear();
  }

  private fill(): void {
    while (
      !this.disposed &&
      this.job < this.jobs.length &&
      this.queuedBytes < this.aheadBytes &&
      this.queue.length < this.aheadFrames
    ) {
      const j = this.jobs[this.job]!;
      if (this.pos >= j.size) {
        this.job++;
        this.pos = this.jobs[this.job]?.from ?? 0;
        continue;
      }
      if (j.bytes) {
        const offset = this.pos;
        const length = Math.min(MAX_DATA_BYTES, j.size - offset);
        this.pos += length;
        this.push(length, Promise.resolve(this.fromMemory(j, offset, length)));
        continue;
      }
      // Up to READ_GROUP_FRAMES frames of the file in one read (readv into their buffers).
      const frames: ReadFrame[] = [];
      while (
        frames.length < READ_GROUP_FRAMES &&
        this.pos < j.size &&
        this.queuedBytes < this.aheadBytes &&
        this.queue.length + frames.length < this.aheadFrames
      ) {
        const offset = this.pos;
        const length = Math.min(MAX_DATA_BYTES, j.size - offset);
        this.pos += length;
        this.queuedBytes += length;
        frames.push({ index: j.index, offset, length, wire: Buffer.alloc(0) });
      }
      const read = this.read(j, frames, this.pos >= j.size);
      for (const [k, f] of frames.entries()) {
        this.queuedBytes -= f.length;
        this.push(
          f.length,
          read.then((done) => done[k]!),
        );
      }
    }
  }

  private push(length: number, frame: Promise<ReadFrame>): void {
    // Rejections are heard by next(); until then one must not count as unhandled.
    frame.catch(() => undefined);
    this.queue.push({ length, frame });
    this.queuedBytes += length;
  }

  private fromMemory(j: SendJob, offset: number, length: number): ReadFrame {
    const { wire, body } = dataFrameBuffer(j.index, offset, length);
    j.bytes!.copy(body, 0, offset, offset + length);
    return { index: j.index, offset, length, wire };
  }

  /** Reads `planned` (consecutive frames of file `j`) in one readv; `last`: no more reads of it follow. */
  private async read(j: SendJob, planned: readonly ReadFrame[], last: boolean): Promise<ReadFrame[]> {
    const src = j.source;
    if (!src) throw this.fail(`no source for file ${j.index}`);
    let f = this.files.get(j.index);
    if (!f) {
      f = { fh: open(sourcePath(src), 'r'), pending: 0, issuedAll: false };
      f.fh.catch(() => undefined);
      this.files.set(j.index, f);
    }
    f.pending++;
    if (last) f.issuedAll = true;
    try {
      let fh: FileHandle;
      try {
        fh = await f.fh;
      } catch (err) {
        throw this.fail(`cannot read ${shownSource(src)}: ${errorMessage(err)}`);
      }
      const frames = planned.map((p) => {
        const pooled = p.length >= POOLED_FROM_BYTES ? frameBuffers.take() : undefined;
        const { wire, body } = pooled
          ? dataFrameInto(pooled, j.index, p.offset, p.length)
          : dataFrameBuffer(j.index, p.offset, p.length);
        return { frame: { ...p, wire, ...(pooled ? { pooled } : {}) }, body };
      });
      const start = planned[0]!.offset;
      const total = planned.reduce((n, p) => n + p.length, 0);
      let n = (
        await fh.readv(
          frames.map((x) => x.body),
          start,
        )
      ).bytesRead;
      // A short read (rare for a file): the rest frame by frame.
      for (const { body, frame } of frames) {
        let at = Math.max(0, n - (frame.offset - start));
        while (at < frame.length && n < total) {
          const { bytesRead } = await fh.read(body, at, frame.length - at, frame.offset + at);
          if (bytesRead === 0) break;
          at += bytesRead;
          n += bytesRead;
        }
      }
      if (n < total)
        throw this.fail(`${shownSource(src)} got shorter while it was sent; run file send again`);
      if (last && j.mtimeMs !== undefined) {
        const st = await fh.stat();
        if (st.size !== j.size || st.mtimeMs !== j.mtimeMs)
          throw this.fail(`${shownSource(src)} changed while it was sent; run file send again`);
      }
      return frames.map((x) => x.frame);
    } finally {
      f.pending--;
      if (f.pending === 0 && f.issuedAll && !f.closed) {
        const closed = f.fh.then((fh) => fh.close()).catch(() => undefined);
        f.closed = closed;
        this.closing.add(closed);
        const forget = () => this.closing.delete(closed);
        closed.then(forget, forget);
        this.files.delete(j.index);
      }
    }
  }
}
