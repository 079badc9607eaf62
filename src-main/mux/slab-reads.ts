/**
 * Reads a TCP socket straight into the slabs a resumable stream keeps its sent bytes in
 * (retained-bytes.ts), through net.Socket's `onread` option, so a forward's exit copies nothing to keep
 * what it sends for a resume (ADR 0035). Node otherwise reads each chunk into a fresh 64 KiB buffer,
 * which RetainedBytes then copies into a slab (keeping the read buffer itself costs more: ADR 0028).
 *
 * Every piece read is pushed into the socket's own readable side, so pipe(), backpressure, 'data'
 * listeners and the end of the stream behave as without `onread`. A piece that reaches a
 * RetainedBytes is adopted there without a copy; any other piece is simply used and left to the GC.
 *
 * Slabs only while bytes come in bulk: after a read below BULK_READ_BYTES (a key typed, a short reply)
 * the reader lets go of its slab, and its next read goes into one small buffer that every socket of
 * the process shares, copied out at once (Node runs the callback right after each read, before any
 * other read). So an idle socket holds no buffer of its own, as without `onread`, and a slab goes
 * back to the pool once what was read into it was acknowledged.
 */
import type { FrameBuffers } from '../transport/frame-buffers.js';
import type { OnReadOptions } from '../transport/receive-slabs.js';
import { COPY_AT_BYTES, markReadIntoSlab, releaseSlab, sharedSlabs, type Slab } from './retained-bytes.js';

/** Largest read into a slab (64 KiB: Node's own read size, one DATA payload). */
export const SLAB_READ_BYTES = 64 * 1024;
/** A read of at least this many bytes (or one that fills its buffer) means bulk: the next goes into a slab. */
export const BULK_READ_BYTES = COPY_AT_BYTES;
/**
 * Bytes of the buffer small reads share (4 KiB; a read that fills it means bulk). Below
 * COPY_AT_BYTES, so RetainedBytes keeps the copy made of a small read as it is, not copied again.
 */
export const SMALL_READ_BYTES = 4 * 1024;
/** The one buffer all sockets' small reads go into; each read is copied out in its callback. */
const sharedSmallRead = Buffer.allocUnsafeSlow(SMALL_READ_BYTES);

/**
 * `onread` options for one socket. `push` hands a piece on (the socket's own `push`, for a socket
 * created with these options); what it returns is backpressure, as for Readable.push.
 */
export function slabReads(push: (piece: Buffer) => boolean, pool: FrameBuffers = sharedSlabs): OnReadOptions {
  /** The slab regions are cut from while reading in bulk; the reader holds one count of it. */
  let slab: Slab | undefined;
  let used = 0;
  /** The buffer the next read goes into: a region of `slab`, or the shared small one. */
  let current: Buffer | undefined;
  let bulk = false;

  const letGoOfSlab = (): void => {
    if (slab) releaseSlab(slab, pool);
    slab = undefined;
  };
  const next = (): Buffer => {
    if (!bulk) {
      letGoOfSlab();
      return (current = sharedSmallRead);
    }
    if (!slab || slab.buffer.length - used < SLAB_READ_BYTES) {
      letGoOfSlab();
      slab = { buffer: pool.take(), views: 1 };
      used = 0;
    }
    return (current = slab.buffer.subarray(used, used + SLAB_READ_BYTES));
  };

  return {
    buffer: next,
    callback(bytesRead) {
      const into = current!;
      bulk = bytesRead >= BULK_READ_BYTES || bytesRead === into.length;
      let piece: Buffer;
      if (into !== sharedSmallRead && slab) {
        piece = slab.buffer.subarray(used, used + bytesRead);
        used += bytesRead;
        slab.views++;
        markReadIntoSlab(piece, slab);
      } else {
        // The shared buffer is the next read's, whichever socket it is: the piece is a copy.
        piece = Buffer.from(into.subarray(0, bytesRead));
      }
      return push(piece);
    },
  };
}
