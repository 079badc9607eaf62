/**
 * Length-prefixed framing for byte streams (direct TLS links): u32 big-endian length, then that many
 * bytes. Frames larger than the limit are a protocol error: a peer cannot make us buffer without bound.
 */
import { ClawError } from '../core/errors.js';

/** Bytes in the length header. */
export const LENGTH_HEADER_BYTES = 4;

/** Prepends the length header. One allocation: the payload is copied once into the output. */
export function encodeLengthPrefixed(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, LENGTH_HEADER_BYTES);
  return out;
}

/**
 * Incremental decoder: feed it chunks as they arrive, get whole frames back. Keeps at most one partial
 * frame (≤ maxFrame + header) buffered.
 */
export class LengthPrefixedDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /**
   * @param maxFrame largest payload accepted, in bytes
   * @param consumed called with each piece of a length header once it was read, for chunks whose
   *   memory is reused once released (transport/receive-slabs.ts)
   */
  constructor(
    private readonly maxFrame: number,
    private readonly consumed?: (piece: Buffer) => void,
  ) {}

  /**
   * Whole frames, each in one buffer: a frame within one chunk is a view of it, one that spans chunks
   * is joined (copied). See pushPieces for the copy-free form.
   * @throws ClawError('FRAME_TOO_LARGE') when a header announces more than maxFrame bytes.
   */
  push(chunk: Buffer): Buffer[] {
    return this.pushPieces(chunk).map((pieces) => (pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)));
  }

  /**
   * The frames completed by `chunk`; one that arrived across several chunks comes back as the list of
   * its pieces (views into those chunks, in order) instead of being copied into one buffer: a TLS
   * socket hands out 16 KiB at a time, so a 64 KiB frame is four or five pieces, and copying them was a
   * large share of a receiving agent's CPU in a bulk transfer (docs/design/hot-path-costs.md). A frame
   * within one chunk is a list of one.
   * @throws ClawError('FRAME_TOO_LARGE') when a header announces more than maxFrame bytes.
   */
  pushPieces(chunk: Buffer): Buffer[][] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[][] = [];
    while (this.buffered >= LENGTH_HEADER_BYTES) {
      const head = this.peekHeader();
      if (head > this.maxFrame) {
        throw new ClawError(
          'FRAME_TOO_LARGE',
          `frame of ${head} bytes exceeds the limit of ${this.maxFrame} bytes`,
        );
      }
      if (this.buffered < LENGTH_HEADER_BYTES + head) break;
      const header = this.takePieces(LENGTH_HEADER_BYTES);
      if (this.consumed) for (const piece of header) this.consumed(piece);
      frames.push(head === 0 ? [Buffer.alloc(0)] : this.takePieces(head));
    }
    return frames;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private peekHeader(): number {
    const first = this.chunks[0]!;
    if (first.length >= LENGTH_HEADER_BYTES) return first.readUInt32BE(0);
    return Buffer.concat(this.chunks).readUInt32BE(0);
  }

  /** The next `n` buffered bytes (n ≤ buffered) as views of the chunks they are in; nothing is copied. */
  private takePieces(n: number): Buffer[] {
    this.buffered -= n;
    const pieces: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        pieces.push(c);
        this.chunks.shift();
        left -= c.length;
      } else {
        pieces.push(c.subarray(0, left));
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    return pieces;
  }
}
