/**
 * The bulk workloads of the table, as people run them: a long download through one connection (a big
 * file through a forward: `curl` of 1 GiB), and many short downloads each on a new connection (the
 * `*-short` rows: web pages, package fetches). Both read what the far end's SOURCE mode sends
 * (bench/serve.ts), so the bytes flow from the far end to us, as in a download. Every transfer is
 * bounded in time.
 */
import type { Duplex } from 'node:stream';
import { withDeadline } from './measure.js';
import { MODE_SOURCE, SOURCE_HEADER_BYTES } from './serve.js';

const MiB = 1024 * 1024;

/**
 * Bytes of one long download (1 GiB). CLAWBRIDGE_BENCH_LONG_MIB sets another size in MiB, for a quick
 * look at whether the rows work; the README's figures use the default.
 */
export const LONG_BYTES = Number(process.env.CLAWBRIDGE_BENCH_LONG_MIB ?? 1024) * MiB;
/**
 * Uncounted download first on each connection (64 MiB): TCP windows, mux credit and the JIT reach
 * their steady state, as in an agent that has run for days.
 */
export const LONG_WARMUP_BYTES = Math.min(64 * MiB, LONG_BYTES);
/**
 * Long downloads per path; the paths take turns (a, b, c, a, b, c) and the row is their median (of two:
 * their mean). Until this release the row was the nearest-rank p50, which of two turns is the slower
 * one, so one slow turn of either side of a ratio decided it (forward-direct read 0.508× `ssh -L` in a
 * full run where one of its turns took 3 s against 1.5 s). A third turn made the median robust to one
 * such turn but the full run 25–35 s longer, 9 min 29 s to 10 min 3 s in four runs, past the issue's
 * 10 minutes on a slow day; bench:compare is the tool for small differences, and
 * CLAWBRIDGE_BENCH_LONG_TURNS gives it more turns (with a smaller CLAWBRIDGE_BENCH_LONG_MIB, more and
 * shorter turns follow a machine whose speed wanders).
 */
export const LONG_TURNS = Math.max(1, Math.floor(Number(process.env.CLAWBRIDGE_BENCH_LONG_TURNS ?? 2)) || 2);
/** A long download that takes longer than this (ms) fails the row: at 20 MB/s 1 GiB takes 54 s. */
export const LONG_DEADLINE_MS = 120_000;
/** Bytes of one short download, each on a new connection (4 MiB). */
export const SHORT_BYTES = 4 * MiB;
/** Short downloads per path, in turns as the long ones. */
export const SHORT_COUNT = 40;
/** One short download (connect included) that takes longer than this (ms) fails the row. */
export const SHORT_DEADLINE_MS = 30_000;

/** Asks the far end for `bytes` and resolves once they all arrived. */
export function download(stream: Duplex, bytes: number, deadlineMs: number): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    let have = 0;
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      have += chunk.length;
      if (have < bytes) return;
      cleanup();
      if (have > bytes) reject(new Error(`received ${have} bytes, asked for ${bytes}`));
      else resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`the stream closed after ${have} of ${bytes} bytes`));
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
  const header = Buffer.alloc(SOURCE_HEADER_BYTES);
  header[0] = MODE_SOURCE;
  header.writeBigUInt64BE(BigInt(bytes), 1);
  stream.write(header);
  return withDeadline(done, deadlineMs, `download of ${bytes} bytes`);
}

/** One timed long download on an open (warmed-up) stream, in MB/s (10^6 bytes per second). */
export async function timedDownload(stream: Duplex): Promise<number> {
  const t0 = performance.now();
  await download(stream, LONG_BYTES, LONG_DEADLINE_MS);
  return LONG_BYTES / 1e6 / ((performance.now() - t0) / 1000);
}

/** Opens a new connection, downloads SHORT_BYTES, closes it; resolves with the ms it all took. */
export async function shortDownload(open: () => Promise<Duplex>): Promise<number> {
  const t0 = performance.now();
  const stream = (await withDeadline(open(), SHORT_DEADLINE_MS, 'connect')).on('error', () => undefined);
  try {
    await download(stream, SHORT_BYTES, SHORT_DEADLINE_MS);
    return performance.now() - t0;
  } finally {
    stream.destroy();
  }
}
