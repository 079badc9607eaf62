/**
 * Measures paths that are compared with each other (a clawbridge forward and `ssh -L`, …) side by side:
 * every path is set up first, the round trips are measured one path after the other on a quiet
 * machine, then the bulk rounds take turns — one round of each path, again and again — so a change in
 * how fast the shared machine runs (another tenant, CPU frequency) reaches every path alike instead of
 * whichever row happened to run at that moment. A path that fails gets an empty row and a note; the
 * others go on.
 */
import type { Duplex } from 'node:stream';
import { BULK_TARGET_MS, BulkMeter, measureRtt, type RttResult } from './measure.js';
import type { PathUnderTest } from './path.js';
import type { BenchResult } from './table.js';

export interface NamedPath extends PathUnderTest {
  name: string;
}

export interface SideBySide {
  results: BenchResult[];
  notes: string[];
}

interface Runner {
  path: NamedPath;
  rtt?: RttResult;
  stream?: Duplex;
  meter?: BulkMeter;
  failed?: string;
}

async function open(path: NamedPath): Promise<Duplex> {
  // Failures surface through the measurements; an error emitted while tearing down must not crash us.
  return (await path.open()).on('error', () => undefined);
}

/**
 * RTT of each path in turn, then interleaved bulk rounds until every path had about BULK_TARGET_MS of
 * rounds (or its BULK_MAX_BYTES). Closes every path. Never throws.
 */
export async function measureSideBySide(
  paths: readonly NamedPath[],
  log: (line: string) => void,
): Promise<SideBySide> {
  const runners: Runner[] = paths.map((path) => ({ path }));
  const live = () => runners.filter((r) => r.failed === undefined);
  const attempt = async (r: Runner, what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      r.failed = `${r.path.name} not available: ${what} failed: ${(err as Error).message}`;
      r.stream?.destroy();
    }
  };
  try {
    for (const r of runners) {
      log(`measuring ${r.path.name} round trips…`);
      await attempt(r, 'round trips', async () => {
        const stream = await open(r.path);
        r.rtt = await measureRtt(stream);
        stream.destroy();
      });
    }
    for (const r of live()) {
      log(`warming up ${r.path.name}…`);
      await attempt(r, 'bulk warm-up', async () => {
        r.stream = await open(r.path);
        r.meter = new BulkMeter(r.stream);
        await r.meter.warmUp();
      });
    }
    log(
      `measuring ${live()
        .map((r) => r.path.name)
        .join(', ')} side by side…`,
    );
    const start = performance.now();
    const budgetMs = BULK_TARGET_MS * Math.max(1, live().length);
    while (performance.now() - start < budgetMs) {
      const turn = live().filter((r) => !r.meter!.full);
      if (turn.length === 0) break;
      for (const r of turn) await attempt(r, 'bulk round', () => r.meter!.measureRound());
    }
  } finally {
    for (const r of runners) r.stream?.destroy();
    await Promise.allSettled(runners.map(async (r) => r.path.close()));
  }
  return {
    results: runners.map(({ path, rtt, meter, failed }) =>
      failed === undefined && rtt && meter
        ? {
            name: path.name,
            MBps: meter.result.MBps,
            p50Ms: rtt.p50Ms,
            p99Ms: rtt.p99Ms,
            setupMs: path.setupMs,
          }
        : { name: path.name, MBps: null, p50Ms: null, p99Ms: null, setupMs: null },
    ),
    notes: runners.flatMap((r) => (r.failed ? [r.failed] : [])),
  };
}
