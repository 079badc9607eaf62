/**
 * Datagram framing on a `udp-connect` stream (docs/protocol.md "udp-connect service"): a mux stream is a
 * byte stream, so each datagram travels as a u16 big-endian length and then that many bytes. Two bytes
 * are enough: the largest datagram a UDP socket can send over IPv4 is 65,507 bytes, and anything longer
 * is refused on both sides (a peer cannot make us buffer more than one such frame). A zero-length
 * datagram is a datagram too, and is carried as a bare header. Pure: no sockets here.
 */
import { ClawError } from '../core/errors.js';

/** Bytes in the length header of one datagram frame. */
export const UDP_FRAME_HEADER_BYTES = 2;
/** Largest datagram carried: 65,535 − 8 (UDP header) − 20 (IPv4 header), what sendto() accepts on IPv4. */
export const MAX_UDP_DATAGRAM_BYTES = 65_507;

/**
 * One datagram as its frame.
 * @throws ClawError('FRAME_TOO_LARGE') for a datagram over MAX_UDP_DATAGRAM_BYTES.
 */
export function encodeUdpFrame(datagram: Uint8Array): Buffer {
  if (datagram.length > MAX_UDP_DATAGRAM_BYTES) {
    throw new ClawError(
      'FRAME_TOO_LARGE',
      `datagram of ${datagram.length} bytes exceeds the limit of ${MAX_UDP_DATAGRAM_BYTES} bytes`,
    );
  }
  const out = Buffer.allocUnsafe(UDP_FRAME_HEADER_BYTES + datagram.length);
  writeUdpFrame(datagram, out, 0);
  return out;
}

/**
 * Writes `datagram`'s frame into `target` at `offset` (a sender that batches frames into one buffer
 * copies each datagram once) and returns the offset after it.
 * @throws ClawError('FRAME_TOO_LARGE') for a datagram over MAX_UDP_DATAGRAM_BYTES; RangeError when the
 *   frame does not fit in `target` from `offset`.
 */
export function writeUdpFrame(datagram: Uint8Array, target: Buffer, offset: number): number {
  if (datagram.length > MAX_UDP_DATAGRAM_BYTES) {
    throw new ClawError(
      'FRAME_TOO_LARGE',
      `datagram of ${datagram.length} bytes exceeds the limit of ${MAX_UDP_DATAGRAM_BYTES} bytes`,
    );
  }
  const end = offset + UDP_FRAME_HEADER_BYTES + datagram.length;
  if (offset < 0 || end > target.length) {
    throw new RangeError(`a frame of ${end - offset} bytes does not fit at ${offset} of ${target.length}`);
  }
  target.writeUInt16BE(datagram.length, offset);
  target.set(datagram, offset + UDP_FRAME_HEADER_BYTES);
  return end;
}

/**
 * Incremental decoder: feed it the stream's chunks as they arrive (cut anywhere), get whole datagrams
 * back, each exactly as it was sent. Holds at most one partial frame (≤ 2 + 65,507 bytes).
 */
export class UdpFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /**
   * The datagrams `chunk` completes, in order. They are views into one copy of the whole frames this
   * call completed, never into `chunk` (which the caller may reuse): one allocation per chunk rather
   * than per datagram (ADR 0055), and a datagram held by a socket pins at most that one copy.
   * @throws ClawError('FRAME_TOO_LARGE') when a header announces more than MAX_UDP_DATAGRAM_BYTES; the
   *   decoder is unusable after that (the stream is out of step and must be reset).
   */
  push(chunk: Uint8Array): Buffer[] {
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const buf = this.pending.length === 0 ? view : Buffer.concat([this.pending, view]);
    // Where each whole frame's datagram starts and ends in `buf`, then one copy of them all.
    const bounds: number[] = [];
    let at = 0;
    while (buf.length - at >= UDP_FRAME_HEADER_BYTES) {
      const length = buf.readUInt16BE(at);
      if (length > MAX_UDP_DATAGRAM_BYTES) {
        throw new ClawError(
          'FRAME_TOO_LARGE',
          `datagram frame of ${length} bytes exceeds the limit of ${MAX_UDP_DATAGRAM_BYTES} bytes`,
        );
      }
      const end = at + UDP_FRAME_HEADER_BYTES + length;
      if (buf.length < end) break;
      bounds.push(at + UDP_FRAME_HEADER_BYTES, end);
      at = end;
    }
    const out: Buffer[] = [];
    if (at > 0) {
      // A copy: a datagram handed to a socket must not alias the caller's chunk, which it may reuse.
      const whole = Buffer.allocUnsafe(at);
      buf.copy(whole, 0, 0, at);
      for (let i = 0; i < bounds.length; i += 2) out.push(whole.subarray(bounds[i], bounds[i + 1]));
    }
    this.pending = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return out;
  }

  /** Bytes of a partial frame held (0 at a frame boundary: the stream may end cleanly here). */
  get buffered(): number {
    return this.pending.length;
  }
}
