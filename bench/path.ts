/**
 * What a row measures, independent of how its bytes travel: a path that can open streams to the far
 * end's bench server. `measurePath` runs the ping-pong first (on a quiet path), then the long downloads (transfers.ts).
 */
import type { Duplex } from 'node:stream';
import { measureRtt } from './measure.js';
import { percentile, type BenchResult } from './table.js';
import { download, LONG_DEADLINE_MS, LONG_TURNS, LONG_WARMUP_BYTES, timedDownload } from './transfers.js';

export interface PathUnderTest {
  /** Opens a new stream to the far end's serveBenchStream. */
  open(): Promise<Duplex>;
  /** Time from dial to the first usable stream, in ms (how each path defines it is in its file). */
  setupMs: number;
  /** Closes what the path opened (some paths also end the processes they started). */
  close(): void | Promise<void>;
}

/** Measures RTT, then LONG_TURNS long downloads on one warmed-up stream (their median), and closes it. */
export async function measurePath(name: string, path: PathUnderTest): Promise<BenchResult> {
  // Failures surface through the measurements (a closed stream rejects them); a stream error emitted
  // while tearing down must not become an uncaught exception.
  const open = async () => (await path.open()).on('error', () => undefined);
  try {
    const rttStream = await open();
    const rtt = await measureRtt(rttStream);
    rttStream.destroy();
    const bulkStream = await open();
    const MBps: number[] = [];
    try {
      await download(bulkStream, LONG_WARMUP_BYTES, LONG_DEADLINE_MS);
      for (let turn = 0; turn < LONG_TURNS; turn++) MBps.push(await timedDownload(bulkStream));
    } finally {
      bulkStream.destroy();
    }
    return { name, MBps: percentile(MBps, 50), p50Ms: rtt.p50Ms, p99Ms: rtt.p99Ms, setupMs: path.setupMs };
  } finally {
    await path.close();
  }
}

/** Times `fn` in ms with the high-resolution clock. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}
