/**
 * The bytes a resumable stream sent that its peer has not acknowledged yet (resumable-stream.ts), kept
 * as copies in reused slabs rather than as the Buffers the application wrote.
 *
 * Why copies: a forward writes the 64 KiB Buffers its socket reads. Keeping one until the peer's ACKED
 * comes back keeps it alive across several young-generation collections on a fast link, so V8 moves it
 * to the old generation, where only a full collection frees it, and the sending agent pays for those
 * collections on every GiB it sends (docs/design/windows.md §Knobs; ADR 0028). Copied into a slab,
 * the read Buffer dies young; a slab goes back to a shared pool
 * once everything in it was acknowledged, so a steady transfer allocates nothing and an idle stream
 * holds no slab. Chunks smaller than COPY_AT_BYTES (a key typed, a short reply) are kept as they are:
 * cheap to keep, and not worth a slab of their own.
 *
 * Better than a copy: a socket that reads straight into slabs (slab-reads.ts, a forward's exit socket)
 * hands over pieces that are already views of a slab. Those are kept as they are, with a count on
 * their slab, and cost no copy at all (ADR 0035).
 */
import { FrameBuffers } from '../transport/frame-buffers.js';

/** Bytes of one slab (256 KiB, four DATA payloads). */
export const RETAIN_SLAB_BYTES = 256 * 1024;
/** Chunks of at least this many bytes are copied into slabs; smaller ones are kept as written. */
export const COPY_AT_BYTES = 8 * 1024;
/** Free slabs of every stream in this process, 32 kept at most (8 MiB); beyond, left to the GC. */
export const sharedSlabs = new FrameBuffers(RETAIN_SLAB_BYTES, 32);

export interface Slab {
  buffer: Buffer;
  /**
   * Holders of this slab: kept pieces that are views of it, pieces read into it that no RetainedBytes
   * adopted yet, and the reader filling it (slab-reads.ts). It goes back to the pool at 0. A piece that
   * is never adopted (it went to a stream that keeps nothing) keeps its slab from the pool for good:
   * the GC frees it, and no byte of it is ever reused while something may read it.
   */
  views: number;
}

/** Pieces read straight into a slab (slab-reads.ts), until a RetainedBytes adopts them. */
const readIntoSlab = new WeakMap<Buffer, Slab>();

/**
 * Marks `piece`, a view of `slab` that a socket read into, as adoptable: a RetainedBytes that is
 * handed it keeps it without a copy. The caller has counted it in `slab.views`.
 */
export function markReadIntoSlab(piece: Buffer, slab: Slab): void {
  readIntoSlab.set(piece, slab);
}

/** Gives one holder's count of `slab` back; the last one returns it to `pool`. */
export function releaseSlab(slab: Slab, pool: FrameBuffers = sharedSlabs): void {
  slab.views--;
  if (slab.views === 0) pool.give(slab.buffer);
}

interface Piece {
  bytes: Buffer;
  slab?: Slab;
}

export class RetainedBytes {
  /** Oldest first. */
  private readonly pieces: Piece[] = [];
  /** The slab copies go into now, and how much of it is used. */
  private slab: Slab | undefined;
  private slabUsed = 0;
  private total = 0;

  constructor(private readonly slabs: FrameBuffers = sharedSlabs) {}

  /** Bytes kept. */
  get size(): number {
    return this.total;
  }

  /** Keeps `chunk` after what is kept (a copy of it, when it is large and not read into a slab; see above). */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const slab = readIntoSlab.get(chunk);
    if (slab) {
      // Its count moves from "read, not adopted" to this piece; adopted once, so never counted twice.
      readIntoSlab.delete(chunk);
      this.pieces.push({ bytes: chunk, slab });
      return;
    }
    if (chunk.length < COPY_AT_BYTES) {
      this.pieces.push({ bytes: chunk });
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.slab || this.slabUsed === this.slab.buffer.length) this.nextSlab();
      const slab = this.slab!;
      const n = Math.min(chunk.length - offset, slab.buffer.length - this.slabUsed);
      chunk.copy(slab.buffer, this.slabUsed, offset, offset + n);
      this.pieces.push({ bytes: slab.buffer.subarray(this.slabUsed, this.slabUsed + n), slab });
      slab.views++;
      this.slabUsed += n;
      offset += n;
    }
  }

  /** Forgets the oldest `bytes` bytes (a piece dropped in part is kept as a view of its rest). */
  drop(bytes: number): void {
    if (bytes > this.total) throw new RangeError(`cannot drop ${bytes} bytes of ${this.total} kept`);
    this.total -= bytes;
    let n = 0;
    while (bytes > 0) {
      const piece = this.pieces[n]!;
      if (piece.bytes.length <= bytes) {
        bytes -= piece.bytes.length;
        if (piece.slab) this.unref(piece.slab);
        n++;
      } else {
        piece.bytes = piece.bytes.subarray(bytes);
        bytes = 0;
      }
    }
    if (n > 0) this.pieces.splice(0, n);
  }

  /**
   * Everything kept, oldest first. The views stay valid until their bytes are dropped, so they may be
   * written to a carrier: bytes are dropped only once the peer acknowledged them, after they were framed.
   */
  views(): Buffer[] {
    return this.pieces.map((p) => p.bytes);
  }

  /**
   * Forgets everything. Slabs are left to the GC rather than pooled: a carrier being torn down may
   * still hold a view it had not framed.
   */
  clear(): void {
    this.pieces.length = 0;
    this.slab = undefined;
    this.total = 0;
  }

  /** The slab being filled is full (its views keep it; unref gives it back once they are dropped). */
  private nextSlab(): void {
    this.slab = { buffer: this.slabs.take(), views: 0 };
    this.slabUsed = 0;
  }

  private unref(slab: Slab): void {
    // The slab being filled goes back too once nothing in it is kept: an idle stream holds none.
    if (slab.views === 1 && slab === this.slab) this.slab = undefined;
    releaseSlab(slab, this.slabs);
  }
}
