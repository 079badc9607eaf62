/**
 * The table `npm run bench:curl` prints (bench/curl-check.ts): per path the median MB/s of its
 * downloads, the ratio to the first path's median, and every download in order. Pure, unit-tested.
 */
import { percentile } from './table.js';

export interface CurlRuns {
  name: string;
  /** MB/s of each counted download, in the order they ran. */
  MBps: readonly number[];
}

/** Lines of the report; ratios are against `runs[0]` (ssh-L). A path with no download shows '-'. */
export function formatCurlReport(runs: readonly CurlRuns[], bytes: number, rounds: number): string[] {
  const median = (r: CurlRuns) => (r.MBps.length > 0 ? percentile(r.MBps, 50) : null);
  const base = runs[0] ? median(runs[0]) : null;
  const width = Math.max(...runs.map((r) => r.name.length));
  const lines = [
    `${(bytes / 2 ** 30).toFixed(bytes % 2 ** 30 === 0 ? 0 : 2)} GiB with curl from a sendfile server, ${rounds} rounds in turns (MB/s: median, ratio, each round)`,
  ];
  for (const r of runs) {
    const m = median(r);
    const ratio = m !== null && base ? `${(m / base).toFixed(2)}x` : '-';
    lines.push(
      `${r.name.padEnd(width)}  ${(m === null ? '-' : m.toFixed(0)).padStart(5)}  ${ratio.padStart(5)}  (${r.MBps.map((x) => x.toFixed(0)).join(' ')})`,
    );
  }
  return lines;
}
