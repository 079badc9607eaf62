/**
 * A free list of same-sized buffers: for the batches a link's outgoing frames are copied into
 * (socket-link.ts) and for the slabs a resumable stream keeps its sent bytes in (mux/retained-bytes.ts,
 * mux/slab-reads.ts). A direct link would write its frames into fresh buffers otherwise, and at
 * hundreds of MB/s that allocation rate (external memory V8 must account for) cost more CPU in garbage
 * collection than the copy itself. A user gives a buffer back only once nothing reads it any more (for
 * a batch: the socket's write callback said it was written), so none is reused while still in use.
 */
import { releaseWhenIdle, type IdleReleaser } from '../core/idle-hooks.js';

export class FrameBuffers implements IdleReleaser {
  private readonly free: Buffer[] = [];
  private allocated = 0;

  /**
   * @param size bytes of every buffer (the largest frame plus its length prefix)
   * @param keep most buffers kept for reuse; beyond that returned ones are left to the GC
   */
  constructor(
    readonly size: number,
    private readonly keep: number,
  ) {
    // A quiet process holds no free buffers: the next burst allocates its few again (ADR 0053).
    releaseWhenIdle(this);
  }

  /** Lets go of every free buffer (left to the GC); the bytes let go of. */
  releaseIdle(): number {
    const bytes = this.free.length * this.size;
    this.free.length = 0;
    return bytes;
  }

  /** A buffer of `size` bytes with unspecified contents. */
  take(): Buffer {
    const reused = this.free.pop();
    if (reused) return reused;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.size);
  }

  /** Returns a buffer from `take` once nothing reads it any more. */
  give(buffer: Buffer): void {
    if (this.free.length < this.keep && buffer.length === this.size) this.free.push(buffer);
  }

  /** Buffers waiting for reuse. */
  get idle(): number {
    return this.free.length;
  }

  /** Buffers `take` had to allocate so far, for none was free (tests: a pool that works reuses). */
  get made(): number {
    return this.allocated;
  }
}
