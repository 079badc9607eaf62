/**
 * The far end of every measurement (see bench/measure.ts): the first byte of a stream picks the mode.
 * SINK (`S` + u64 byte count) discards that many bytes and then answers with the count as u64; ECHO
 * (`E`) sends every later byte straight back. Also the mux settings and link server both ends use.
 */
import type { Duplex } from 'node:stream';
import { Mux } from '../src-main/mux/mux.js';
import type { Link } from '../src-main/transport/link.js';

/** Mode byte: discard the announced number of bytes, then confirm. */
export const MODE_SINK = 0x53;
/** Mode byte: echo every byte. */
export const MODE_ECHO = 0x45;
/** Bytes of the SINK header: mode + u64 count. */
export const SINK_HEADER_BYTES = 9;

/**
 * Serves one stream until it closes. After a SINK round is confirmed the next byte is a mode byte
 * again, so one stream carries several rounds. Unknown modes destroy the stream.
 */
export function serveBenchStream(stream: Duplex): void {
  let head: Buffer = Buffer.alloc(0);
  /** Bytes still to discard in the current SINK round; -1 while reading a header. */
  let remaining = -1;
  let announced = 0;
  stream.on('error', () => stream.destroy());
  const onData = (chunk: Buffer) => {
    let data: Buffer = chunk;
    while (data.length > 0) {
      if (remaining > 0) {
        const used = Math.min(remaining, data.length);
        remaining -= used;
        data = data.subarray(used);
        if (remaining === 0) confirm();
        continue;
      }
      head = head.length === 0 ? data : Buffer.concat([head, data]);
      data = Buffer.alloc(0);
      if (head[0] === MODE_ECHO) {
        stream.off('data', onData);
        const rest = head.subarray(1);
        if (rest.length > 0) stream.write(rest);
        stream.on('data', (c: Buffer) => stream.write(c));
        return;
      }
      if (head[0] !== MODE_SINK) {
        stream.destroy();
        return;
      }
      if (head.length < SINK_HEADER_BYTES) return;
      announced = Number(head.readBigUInt64BE(1));
      remaining = announced;
      data = head.subarray(SINK_HEADER_BYTES);
      head = Buffer.alloc(0);
      if (remaining === 0) confirm();
    }
  };
  const confirm = () => {
    const reply = Buffer.alloc(8);
    reply.writeBigUInt64BE(BigInt(announced));
    stream.write(reply);
    remaining = -1;
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
