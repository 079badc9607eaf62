/**
 * The far end of every measurement (bench/measure.ts, bench/transfers.ts): the first byte of a stream
 * picks the mode. SOURCE (`D` + u64 byte count) sends that many bytes, as a server does for a download,
 * and then reads the next mode byte, so one stream carries several downloads; ECHO (`E`) sends every
 * later byte straight back. Announcing the size avoids relying on half-close, which a plain WebSocket
 * stream does not have. Also the mux settings and link server both ends use.
 */
import type { Duplex } from 'node:stream';
import { Mux } from '../src-main/mux/mux.js';
import type { Link } from '../src-main/transport/link.js';

/** Mode byte: send the announced number of bytes (a download). */
export const MODE_SOURCE = 0x44;
/** Mode byte: echo every byte. */
export const MODE_ECHO = 0x45;
/** Bytes of the SOURCE header: mode + u64 count. */
export const SOURCE_HEADER_BYTES = 9;
/** Size of each write of a download (64 KiB: one mux DATA payload, one relay frame). */
const SOURCE_CHUNK_BYTES = 64 * 1024;
// One shared buffer: writes are queued by reference, and nothing checks the payload.
const SOURCE_CHUNK = Buffer.alloc(SOURCE_CHUNK_BYTES, 0x5a);

/** Writes `total` bytes to `stream` as fast as it drains, then calls `done`. */
function sendSource(stream: Duplex, total: number, done: () => void): void {
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, SOURCE_CHUNK_BYTES);
      left -= n;
      const more = stream.write(n === SOURCE_CHUNK_BYTES ? SOURCE_CHUNK : SOURCE_CHUNK.subarray(0, n));
      if (!more && left > 0) {
        stream.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

/** Serves one stream until it closes. Unknown modes destroy the stream. */
export function serveBenchStream(stream: Duplex): void {
  let head: Buffer = Buffer.alloc(0);
  stream.on('error', () => stream.destroy());
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (head[0] === MODE_ECHO) {
      stream.off('data', onData);
      const rest = head.subarray(1);
      if (rest.length > 0) stream.write(rest);
      stream.on('data', (c: Buffer) => stream.write(c));
      return;
    }
    if (head[0] !== MODE_SOURCE) {
      stream.destroy();
      return;
    }
    if (head.length < SOURCE_HEADER_BYTES) return;
    const total = Number(head.readBigUInt64BE(1));
    const rest = head.subarray(SOURCE_HEADER_BYTES);
    head = Buffer.alloc(0);
    // The client asks for the next download only after this one arrived whole.
    stream.pause();
    sendSource(stream, total, () => {
      stream.resume();
      if (rest.length > 0) onData(rest);
    });
  };
  stream.on('data', onData);
}

/** Mux settings of both ends: heartbeats far apart so they do not show in the measurements. */
export const BENCH_MUX_OPTIONS = { heartbeatMs: 60_000, deadAfterMs: 120_000 } as const;

/** Serves every stream the peer opens on `link`. */
export function serveLink(link: Link): Mux {
  return new Mux(link, {
    ...BENCH_MUX_OPTIONS,
    onStream: (req) => serveBenchStream(req.accept()),
  });
}
