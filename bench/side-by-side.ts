/**
 * Measures paths that are compared with each other (a clawbridge forward and `ssh -L`, …) side by side:
 * every path is set up first, the round trips are measured one path after the other on a quiet
 * machine, then the long downloads take turns — one download on each path, then again — so a change
 * in how fast the shared machine runs (another tenant, CPU frequency) reaches every path alike instead
 * of whichever row happened to run at that moment. Paths marked `short` then get their `*-short` row:
 * short downloads, each on a new connection, also taking turns. A path that fails gets an empty row and
 * a note; the others go on.
 */
import type { Duplex } from 'node:stream';
import { measureRtt, type RttResult } from './measure.js';
import type { PathUnderTest } from './path.js';
import { percentile, type BenchResult } from './table.js';
import {
  download,
  LONG_DEADLINE_MS,
  LONG_TURNS,
  LONG_WARMUP_BYTES,
  SHORT_BYTES,
  SHORT_COUNT,
  shortDownload,
  timedDownload,
} from './transfers.js';

export interface NamedPath extends PathUnderTest {
  name: string;
  /** Also measure `<name>-short`: many short downloads, each on a new connection. */
  short?: boolean;
}

export interface SideBySide {
  results: BenchResult[];
  notes: string[];
}

interface Runner {
  path: NamedPath;
  rtt?: RttResult;
  stream?: Duplex;
  /** MB/s of each counted long download. */
  long: number[];
  /** ms of each short download, connect included. */
  short: number[];
  failed?: string;
  shortFailed?: string;
}

async function open(path: NamedPath): Promise<Duplex> {
  // Failures surface through the measurements; an error emitted while tearing down must not crash us.
  return (await path.open()).on('error', () => undefined);
}

const emptyRow = (name: string): BenchResult => ({
  name,
  MBps: null,
  p50Ms: null,
  p99Ms: null,
  setupMs: null,
});

function longRow({ path, rtt, long, failed }: Runner): BenchResult {
  if (failed !== undefined || !rtt || long.length === 0) return emptyRow(path.name);
  return {
    name: path.name,
    MBps: percentile(long, 50),
    p50Ms: rtt.p50Ms,
    p99Ms: rtt.p99Ms,
    setupMs: path.setupMs,
  };
}

function shortRow({ path, short, failed, shortFailed }: Runner): BenchResult {
  const name = `${path.name}-short`;
  if (failed !== undefined || shortFailed !== undefined || short.length === 0) return emptyRow(name);
  const ms = short.reduce((a, b) => a + b, 0);
  // Throughput over all of them, connects included; p50/p99 of one whole short download.
  return {
    name,
    MBps: (short.length * SHORT_BYTES) / 1e6 / (ms / 1000),
    p50Ms: percentile(short, 50),
    p99Ms: percentile(short, 99),
    setupMs: null,
  };
}

/**
 * RTT of each path in turn, then LONG_TURNS rounds of one long download per path, then the short
 * downloads of the `short` paths. Closes every path. Never throws.
 */
export async function measureSideBySide(
  paths: readonly NamedPath[],
  log: (line: string) => void,
): Promise<SideBySide> {
  const runners: Runner[] = paths.map((path) => ({ path, long: [], short: [] }));
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
      await attempt(r, 'warm-up download', async () => {
        r.stream = await open(r.path);
        await download(r.stream, LONG_WARMUP_BYTES, LONG_DEADLINE_MS);
      });
    }
    for (let turn = 1; turn <= LONG_TURNS; turn++) {
      for (const r of live()) {
        log(`long download ${turn}/${LONG_TURNS} through ${r.path.name}…`);
        await attempt(r, 'long download', async () => void r.long.push(await timedDownload(r.stream!)));
      }
    }
    for (const r of runners) r.stream?.destroy();
    const shortRunners = () => live().filter((r) => r.path.short && r.shortFailed === undefined);
    if (shortRunners().length > 0) {
      log(
        `short downloads through ${shortRunners()
          .map((r) => r.path.name)
          .join(', ')}…`,
      );
    }
    for (let i = 0; i < SHORT_COUNT; i++) {
      for (const r of shortRunners()) {
        try {
          r.short.push(await shortDownload(() => open(r.path)));
        } catch (err) {
          r.shortFailed = `${r.path.name}-short not available: ${(err as Error).message}`;
        }
      }
    }
  } finally {
    for (const r of runners) r.stream?.destroy();
    await Promise.allSettled(runners.map(async (r) => r.path.close()));
  }
  return {
    results: runners.flatMap((r) => (r.path.short ? [longRow(r), shortRow(r)] : [longRow(r)])),
    notes: runners.flatMap((r) => [r.failed, r.shortFailed].filter((n): n is string => n !== undefined)),
  };
}
