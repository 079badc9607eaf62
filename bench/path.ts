/**
 * What a row measures, independent of how its bytes travel: a path that can open streams to the far
 * end's bench server. `measurePath` runs the ping-pong first (on a quiet path), then the bulk transfer.
 */
import type { Duplex } from 'node:stream';
import { measureBulk, measureRtt } from './measure.js';
import type { BenchResult } from './table.js';

export interface PathUnderTest {
  /** Opens a new stream to the far end's serveBenchStream. */
  open(): Promise<Duplex>;
  /** Time from dial to the first usable stream, in ms (how each path defines it is in its file). */
  setupMs: number;
  /** Closes what the path opened (some paths also end the processes they started). */
  close(): void | Promise<void>;
}

/** Measures RTT then bulk through `path` and closes it. */
export async function measurePath(name: string, path: PathUnderTest): Promise<BenchResult> {
  // Failures surface through the measurements (a closed stream rejects them); a stream error emitted
  // while tearing down must not become an uncaught exception.
  const open = async () => (await path.open()).on('error', () => undefined);
  try {
    const rttStream = await open();
    const rtt = await measureRtt(rttStream);
    rttStream.destroy();
    const bulkStream = await open();
    const bulk = await measureBulk(bulkStream);
    bulkStream.destroy();
    return { name, MBps: bulk.MBps, p50Ms: rtt.p50Ms, p99Ms: rtt.p99Ms, setupMs: path.setupMs };
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
