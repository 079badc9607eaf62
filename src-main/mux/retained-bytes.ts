/**
 * The bytes a resumable stream sent that its peer has not acknowledged yet (resumable-stream.ts), kept
 * as copies in reused slabs rather than as the Buffers the application wrote.
 *
 * Why copies: a forward writes the 64 KiB Buffers its socket reads. Keeping one until the peer's ACKED
 * comes back keeps it alive across several young-generation collections on a fast link, so V8 moves it
 * to the old generation, where only a full collection frees it. Kept that way, retention cost the
 * sending agent 15–20 % more CPU per GiB than a stream that kept nothing (bench:compare forward-direct,
 * eight turns each). Copied into a slab, the read Buffer dies young; a slab goes back to a shared pool
 * once everything in it was acknowledged, so a steady transfer allocates nothing and an idle stream
 * holds no slab. Chunks smaller than COPY_AT_BYTES (a key typed, a short reply) are kept as they are:
 * cheap to keep, and not worth a slab of their own.
 */
import { FrameBuffers } from '../transport/frame-buffers.js';

/** Bytes of one slab (256 KiB, four DATA payloads). */
export const RETAIN_SLAB_BYTES = 256 * 1024;
/** Chunks of at least this many bytes are copied into slabs; smaller ones are kept as written. */
export const COPY_AT_BYTES = 8 * 1024;
/** Free slabs of every stream in this process, 32 kept at most (8 MiB); beyond, left to the GC. */
const sharedSlabs = new FrameBuffers(RETAIN_SLAB_BYTES, 32);

interface Slab {
  buffer: Buffer;
  /** Kept pieces that are views of this slab. */
  views: number;
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

  /** Keeps `chunk` after what is kept (a copy of it, when it is large; see above). */
  push(chunk: Buffer): void {
    this.total += chunk.length;
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
    slab.views--;
    if (slab.views > 0) return;
    // The slab being filled goes back too once nothing in it is kept: an idle stream holds none.
    if (slab === this.slab) this.slab = undefined;
    this.slabs.give(slab.buffer);
  }
}
