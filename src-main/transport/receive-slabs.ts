/**
 * Reads what a dialed TLS link decrypts into reused slabs, through tls.connect's `onread` option
 * (ADR 0039; a splice's TLS client too, when it named its splice by server name, ADR 0040). Without it
 * Node's TLS copies every decrypted record (up to 16 KiB) into a fresh buffer of its own: a receiving
 * agent writes a download into ever new memory, 1 GiB of it per GiB, and spends more CPU per GiB that
 * way than reading into the same few slabs, which stay in the CPU's cache (ADR 0039 has the runs).
 *
 * A slab is reused only when nothing can read it any more. Every byte read into it is counted as held
 * and stays held until whoever used it last says so with `releaseReceived`: the length decoder and the
 * mux for the framing they parse and drop, and a forward's splice for a payload its local socket has
 * written. A byte nobody releases (a frame a terminal keeps, a stream that was reset) keeps its slab out
 * of the pool for good; the GC frees it, and no byte is ever overwritten while something may read it.
 *
 * Small reads (a key typed, a short reply, anything below COPY_BELOW_BYTES) are copied out at once and
 * their region is read into again, so a piece a terminal keeps never pins a slab. After a few small
 * reads in a row the reader lets go of its slab and reads into one small buffer that every socket of
 * the process shares, copying each read out in its callback (Node runs it right after the read, before
 * any other): an idle link holds no slab. A read that fills that buffer means bulk again.
 *
 * Only a dialer's socket can read this way: Node gives `onread` to a TLSSocket it creates itself, not
 * to one that wraps a socket it was handed (a listener's accepted connections, a splice's TLS server,
 * a splice joined by its line).
 */
import { FrameBuffers } from './frame-buffers.js';

/** Bytes of one slab (256 KiB: sixteen full TLS records). */
export const RECEIVE_SLAB_BYTES = 256 * 1024;
/** Most plaintext one TLS record carries, and so one read: a region is never smaller. */
export const TLS_RECORD_BYTES = 16 * 1024;
/** Reads under this many bytes are copied out and their region reused (see above). */
export const COPY_BELOW_BYTES = 4 * 1024;
/** Small reads in a row after which a reader lets go of its slab (one in bulk ends a 256 KiB write). */
export const SMALL_READS_BEFORE_IDLE = 4;
/** The buffer small reads of every socket go into, copied out at once (COPY_BELOW_BYTES long). */
const sharedSmall = Buffer.allocUnsafeSlow(COPY_BELOW_BYTES);
/**
 * Free slabs of this process, 96 kept at most (24 MiB); beyond, left to the GC; the idle trim drops
 * them all (core/idle-hooks.ts). A download has up to its stream's whole window in flight (64 slabs at
 * MAX_STREAM_WINDOW) and a files receiver its writes ahead besides, given back in bursts as each write
 * settles (files/receive-writes.ts): with fewer kept, part of each burst went to the GC and the next
 * reads went into new memory, which costs a page fault per 4 KiB. Keeping them holds no more than the
 * download had in flight at its peak, only for longer.
 */
const pool = new FrameBuffers(RECEIVE_SLAB_BYTES, 96);

interface ReceiveSlab {
  readonly buffer: Buffer;
  /** Bytes read into it that nobody has released yet. */
  held: number;
  /** True while a reader still reads into it. */
  filling: boolean;
}

/** The slab of every buffer a reader read into, by its memory: a view of any part of it finds it. */
const slabOf = new WeakMap<ArrayBufferLike, ReceiveSlab>();

/** The `onread` option of tls.connect / net.connect (also mux/slab-reads.ts's). */
export interface OnReadOptions {
  buffer: () => Uint8Array;
  callback: (bytesRead: number, buffer: Uint8Array) => boolean;
}

export interface SlabReader {
  /** For tls.connect's `onread`. */
  readonly onread: OnReadOptions;
  /** Where pieces go from now on (each one read, in order); none: they are kept until a sink is set. */
  setSink(sink: ((piece: Buffer) => void) | undefined): void;
  /** The link is done with the socket: the slab being filled is left to the GC, never reused. */
  close(): void;
}

/**
 * Says that the first `bytes` bytes of `view` (all of it by default) will never be read again by the
 * caller or anyone it handed them to. A no-op for bytes not read into a slab. Each byte read must be
 * released at most once: releasing one twice may hand its slab to a reader while a view still reads it.
 */
export function releaseReceived(view: Uint8Array, bytes: number = view.length): void {
  const slab = slabOf.get(view.buffer);
  if (!slab || bytes <= 0) return;
  slab.held -= bytes;
  giveBackIfUnused(slab);
}

/** True when `view` lies in a slab a reader read into (what a forward's splice releases). */
export function isReceivedIntoSlab(view: Uint8Array): boolean {
  return slabOf.has(view.buffer);
}

/** Free slabs waiting for reuse (tests). */
export function idleReceiveSlabs(): number {
  return pool.idle;
}

/** Slabs made so far, for none was free to reuse (tests). */
export function receiveSlabsMade(): number {
  return pool.made;
}

function giveBackIfUnused(slab: ReceiveSlab): void {
  if (slab.held !== 0 || slab.filling) return;
  slabOf.delete(slab.buffer.buffer);
  pool.give(slab.buffer);
}

function takeSlab(): ReceiveSlab {
  const buffer = pool.take();
  const slab: ReceiveSlab = { buffer, held: 0, filling: true };
  slabOf.set(buffer.buffer, slab);
  return slab;
}

/** A reader for one socket; pieces go to the sink set last (until then they are kept in order). */
export function readIntoSlabs(): SlabReader {
  let slab: ReceiveSlab | undefined;
  /** Bytes of `slab` read into so far; the next read goes right after them. */
  let used = 0;
  let sink: ((piece: Buffer) => void) | undefined;
  const early: Buffer[] = [];
  /** Small reads since the last large one; from SMALL_READS_BEFORE_IDLE on, reads go to sharedSmall. */
  let smallReads = SMALL_READS_BEFORE_IDLE;

  const letGo = (): void => {
    if (!slab) return;
    slab.filling = false;
    giveBackIfUnused(slab);
    slab = undefined;
  };
  const next = (): Buffer => {
    if (smallReads >= SMALL_READS_BEFORE_IDLE) {
      // Node reads into what this returns from now on: the slab's region is no longer its buffer.
      letGo();
      return sharedSmall;
    }
    if (!slab || slab.buffer.length - used < TLS_RECORD_BYTES) {
      letGo();
      slab = takeSlab();
      used = 0;
    }
    return slab.buffer.subarray(used);
  };

  return {
    onread: {
      buffer: next,
      callback(bytesRead, region) {
        // A read that fills the shared small buffer is one of these too.
        const bulk = bytesRead >= COPY_BELOW_BYTES;
        smallReads = bulk ? 0 : smallReads + 1;
        let piece: Buffer;
        if (!bulk || !slab || region.buffer !== slab.buffer.buffer) {
          // Copied, and the region is read into again: nothing keeps a view of it. (Also a read into
          // the shared small buffer, and one that lands after close() in a slab let go of.)
          piece = Buffer.from(region.subarray(0, bytesRead));
        } else {
          piece = slab.buffer.subarray(used, used + bytesRead);
          used += bytesRead;
          slab.held += bytesRead;
        }
        if (sink) sink(piece);
        else early.push(piece);
        return true;
      },
    },
    setSink(next) {
      sink = next;
      while (sink === next && next && early.length > 0) next(early.shift()!);
    },
    close() {
      // Not letGo(): the socket may still decrypt into the region it was handed until it is destroyed,
      // so the slab never goes back to the pool (another link would read into it); the GC frees it.
      slab = undefined;
    },
  };
}
