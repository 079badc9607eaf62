/**
 * The 1-byte ping-pong every row makes through a Duplex (a socket, a TLS socket, a mux stream, a ws
 * stream) against the far end's ECHO mode (bench/serve.ts); the downloads are in transfers.ts. Every
 * loop is bounded in count and in time.
 */
import type { Duplex } from 'node:stream';
import { MODE_ECHO } from './serve.js';
import { percentile } from './table.js';

/** Round trips measured for p50/p99. */
export const RTT_COUNT = 2_000;
/** Round trips done first and not counted (JIT, TCP slow start, buffers). */
export const RTT_WARMUP = 200;
/** Upper bound of the ping-pong phase, in ms; fewer round trips are counted if it runs out. */
export const RTT_MAX_MS = 8_000;
/** One round trip that takes longer than this (ms) fails the row. */
export const RTT_DEADLINE_MS = 5_000;

export interface RttResult {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/** Rejects with `what` timed out unless `promise` settles within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves with the next `n` bytes the stream delivers (and leaves later bytes unread by us). */
function readExactly(stream: Duplex, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= n) {
        cleanup();
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('stream closed before the reply arrived'));
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/** 1-byte ping-pong against an ECHO: RTT_WARMUP uncounted, then up to RTT_COUNT or RTT_MAX_MS. */
export async function measureRtt(stream: Duplex): Promise<RttResult> {
  const ping = Buffer.of(0x2a);
  stream.write(Buffer.of(MODE_ECHO));
  const samples: number[] = [];
  const phaseEnd = performance.now() + RTT_MAX_MS;
  for (let i = 0; i < RTT_WARMUP + RTT_COUNT && performance.now() < phaseEnd; i++) {
    const reply = readExactly(stream, 1);
    const t0 = performance.now();
    stream.write(ping);
    await withDeadline(reply, RTT_DEADLINE_MS, 'round trip');
    if (i >= RTT_WARMUP) samples.push(performance.now() - t0);
  }
  if (samples.length === 0) throw new Error(`no round trip completed within ${RTT_MAX_MS} ms`);
  return { samples: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
}
