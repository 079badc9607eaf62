/**
 * The two measurements every row makes through a Duplex (a socket, a TLS socket, a mux stream, a ws
 * stream): bulk throughput and a 1-byte ping-pong. The far end runs `serveBenchStream` (bench/serve.ts),
 * which reads one mode byte: SINK counts an announced number of bytes and answers once they are all
 * in, ECHO sends every byte back. Announcing the size avoids relying on half-close, which a plain
 * WebSocket stream does not have. Every loop is bounded in count and in time.
 */
import type { Duplex } from 'node:stream';
import { MODE_ECHO, MODE_SINK, SINK_HEADER_BYTES } from './serve.js';
import { percentile } from './table.js';

/** Size of each write in the bulk transfer (64 KiB: one mux DATA payload, one relay frame). */
export const BULK_CHUNK_BYTES = 64 * 1024;
/** Upper bound of one bulk transfer, in bytes (512 MiB). */
export const BULK_MAX_BYTES = 512 * 1024 * 1024;
/** Bulk rounds start until this many ms have passed (the round in progress finishes). */
export const BULK_TARGET_MS = 3_000;
/** Bytes of one counted bulk round (32 MiB: ~0.3 s on the slowest path, ~20 ms on raw TCP). */
export const ROUND_BYTES = 32 * 1024 * 1024;
/**
 * Bytes of the uncounted warm-up round (64 MiB): TCP windows, mux credit, and the JIT — a freshly
 * started agent runs its data path ~20 % slower for the first tens of MB (measured: the first row
 * through a new agent pair was 15–25 % slower than the same row measured second with 16 MiB), and
 * the bench measures agents in their steady state, as they run for days.
 */
export const WARMUP_BYTES = 64 * 1024 * 1024;
/** A round that has not finished after this many ms fails the row (a stuck path, not a slow one). */
export const BULK_DEADLINE_MS = 30_000;
/** Round trips measured for p50/p99. */
export const RTT_COUNT = 2_000;
/** Round trips done first and not counted (JIT, TCP slow start, buffers). */
export const RTT_WARMUP = 200;
/** Upper bound of the ping-pong phase, in ms; fewer round trips are counted if it runs out. */
export const RTT_MAX_MS = 8_000;
/** One round trip that takes longer than this (ms) fails the row. */
export const RTT_DEADLINE_MS = 5_000;

export interface BulkResult {
  bytes: number;
  ms: number;
  MBps: number;
}

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

function waitDrain(stream: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      stream.off('drain', onDrain);
      reject(new Error('stream closed during the bulk transfer'));
    };
    stream.once('drain', onDrain);
    stream.once('close', onClose);
  });
}

/** Sends one SINK round of `bytes` (whole chunks) and resolves once the sink confirmed all of them. */
async function round(stream: Duplex, bytes: number, chunk: Buffer): Promise<void> {
  const chunks = Math.max(1, Math.ceil(bytes / BULK_CHUNK_BYTES));
  const total = chunks * BULK_CHUNK_BYTES;
  const header = Buffer.alloc(SINK_HEADER_BYTES);
  header[0] = MODE_SINK;
  header.writeBigUInt64BE(BigInt(total), 1);
  const reply = readExactly(stream, 8);
  stream.write(header);
  for (let i = 0; i < chunks; i++) {
    if (!stream.write(chunk)) await waitDrain(stream);
  }
  const confirmed = Number((await reply).readBigUInt64BE(0));
  if (confirmed !== total) throw new Error(`sink confirmed ${confirmed} bytes, sent ${total}`);
}

/**
 * Bulk throughput of one stream, measured in SINK rounds: `warmUp()` sends the uncounted WARMUP_BYTES,
 * each `measureRound()` one timed ROUND_BYTES round. Rounds (rather than one transfer of a size guessed
 * up front) keep the duration near the target on fast and slow paths alike, and let several paths take
 * turns (side-by-side.ts); each round costs one extra round trip, under 0.1 % of a round.
 */
export class BulkMeter {
  private bytes = 0;
  private ms = 0;
  // One shared buffer: writes are queued by reference, and nothing checks the payload.
  private readonly chunk = Buffer.alloc(BULK_CHUNK_BYTES, 0x5a);

  constructor(private readonly stream: Duplex) {}

  warmUp(): Promise<void> {
    return withDeadline(round(this.stream, WARMUP_BYTES, this.chunk), BULK_DEADLINE_MS, 'bulk warm-up');
  }

  async measureRound(): Promise<void> {
    const t0 = performance.now();
    await withDeadline(round(this.stream, ROUND_BYTES, this.chunk), BULK_DEADLINE_MS, 'bulk round');
    this.ms += performance.now() - t0;
    this.bytes += ROUND_BYTES;
  }

  /** Counted bytes and the time their rounds took. */
  get result(): BulkResult {
    return { bytes: this.bytes, ms: this.ms, MBps: this.bytes / 1e6 / (this.ms / 1000) };
  }

  /** True once BULK_MAX_BYTES were counted. */
  get full(): boolean {
    return this.bytes >= BULK_MAX_BYTES;
  }
}

/**
 * Bulk throughput through a fresh stream on its own: warm-up, then rounds until BULK_MAX_BYTES or
 * BULK_TARGET_MS, whichever comes first.
 */
export async function measureBulk(stream: Duplex): Promise<BulkResult> {
  const meter = new BulkMeter(stream);
  await meter.warmUp();
  const start = performance.now();
  while (!meter.full && performance.now() - start < BULK_TARGET_MS) await meter.measureRound();
  return meter.result;
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
