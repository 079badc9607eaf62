/**
 * What `npm run bench:packet` prints: pure, unit-tested in test/unit/bench/packet-report.test.ts.
 * Besides percentiles, an echo phase lists when its slow keys came: a stall the kernel's congestion
 * control makes on a schedule (BBR's PROBE_RTT: a window of four packets for 200 ms each 10 s
 * without a new lowest RTT) shows as slow keys about that far apart, which percentiles hide.
 */
import { percentile } from './table.js';

/** Slow keys listed at most, the slowest of them (a path slow throughout would list every key). */
export const LISTED_SLOW_KEYS = 10;

/** One timed key: when it was typed (ms since the phase began) and how long its echo took. */
export interface KeySample {
  atMs: number;
  ms: number;
}

export interface EchoSummary {
  keys: number;
  p50: number;
  p99: number;
  max: number;
  /** Keys whose echo took longer than the bound, with when they were typed. */
  over: KeySample[];
}

export function summarizeEcho(samples: readonly KeySample[], boundMs: number): EchoSummary {
  if (samples.length === 0) throw new Error('an echo phase timed no keys');
  const ms = samples.map((s) => s.ms);
  return {
    keys: samples.length,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: Math.max(...ms),
    over: samples.filter((s) => s.ms > boundMs),
  };
}

/** `p50 …, p99 … = RTT + … ms, max …; N of K keys over RTT + B ms (at 6.3 s: 271 ms, …)`. */
export function formatEcho(s: EchoSummary, rttMs: number, marginMs: number): string {
  const head = `p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms = RTT + ${(s.p99 - rttMs).toFixed(1)} ms, max ${s.max.toFixed(1)} ms`;
  if (s.over.length === 0) return `${head}; none of ${s.keys} keys over RTT + ${marginMs} ms`;
  const slowest = [...s.over].sort((a, b) => b.ms - a.ms).slice(0, LISTED_SLOW_KEYS);
  const when = slowest
    .sort((a, b) => a.atMs - b.atMs)
    .map((k) => `${(k.atMs / 1000).toFixed(1)} s: ${k.ms.toFixed(0)} ms`)
    .join(', ');
  const more = s.over.length > slowest.length ? `; the slowest ${slowest.length}` : '';
  return `${head}; ${s.over.length} of ${s.keys} keys over RTT + ${marginMs} ms (typed at ${when}${more})`;
}

/** MB/s (10^6 bytes a second) of a transfer. */
export function mbps(bytesPerS: number): string {
  return (bytesPerS / 1e6).toFixed(1);
}
