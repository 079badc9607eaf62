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
import { perGiB, treeCpuSeconds, type CpuOwner } from './cpu-tree.js';
import { measureRtt, type RttResult } from './measure.js';
import type { PathUnderTest } from './path.js';
import { median, percentile, type BenchResult } from './table.js';
import {
  download,
  LONG_BYTES,
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
  /** Processes whose CPU time per GiB the long downloads report (the agents; ssh and sshd). */
  cpu?: readonly CpuOwner[];
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
  /** CPU seconds each owner (path.cpu) used during the counted long downloads; null once unreadable. */
  cpu: Map<string, number | null>;
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

function longRow(r: Runner): BenchResult {
  const { path, rtt, long, failed } = r;
  if (failed !== undefined || !rtt || long.length === 0) return emptyRow(path.name);
  const cpu: Record<string, number> = {};
  for (const [label, s] of r.cpu) {
    const v = s === null ? null : perGiB(s, long.length * LONG_BYTES);
    if (v !== null) cpu[label] = v;
  }
  return {
    name: path.name,
    MBps: median(long),
    p50Ms: rtt.p50Ms,
    p99Ms: rtt.p99Ms,
    setupMs: path.setupMs,
    ...(r.cpu.size > 0 ? { cpuSecondsPerGiB: cpu } : {}),
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
  const runners: Runner[] = paths.map((path) => ({
    path,
    long: [],
    short: [],
    cpu: new Map((path.cpu ?? []).map((o) => [o.label, 0])),
  }));
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
        await attempt(r, 'long download', async () => {
          // CPU of each owner's process tree around the download only (the turns of other paths excluded).
          const owners = r.path.cpu ?? [];
          const before = owners.map((o) => treeCpuSeconds(o.pid));
          const MBps = await timedDownload(r.stream!);
          r.long.push(MBps);
          log(`  ${MBps.toFixed(0)} MB/s`);
          owners.forEach((o, i) => {
            const now = treeCpuSeconds(o.pid);
            const was = before[i];
            const sum = r.cpu.get(o.label);
            r.cpu.set(o.label, now === null || was == null || sum == null ? null : sum + now - was);
          });
        });
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
