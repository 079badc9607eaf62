/**
 * Pure formatting of bench results: percentiles, the ratios and targets of the README's performance
 * table, and the plain-text table. No I/O and no clocks here, so it is unit-tested
 * (test/unit/bench/table.test.ts) while the measurements themselves are not.
 */
import { betterWay, lastReleaseCells, NOISE_SHARE, type Baseline } from './baseline.js';

/** Names of the rows, in the order they are printed. */
export const ROW_NAMES = [
  'raw-tcp',
  'raw-tls',
  'direct',
  'bare-relay',
  'relay',
  'ssh-L',
  'ssh-D',
  'forward-direct',
  'forward-relay',
  'reverse-direct',
  'socks-direct',
  'socks-relay',
  'ssh-L-short',
  'ssh-D-short',
  'forward-direct-short',
  'forward-relay-short',
  'socks-direct-short',
  'socks-relay-short',
  'first-byte-ssh-L',
  'first-byte-forward',
  'ssh-echo',
  'term-echo-idle',
  'term-echo-relay',
  'term-echo-load',
  'echo-floor-3',
  'echo-floor-4',
  'chain-echo-direct',
  'chain-echo-1hop',
  'chain-echo-2hops',
  'ui-echo',
  'ui-echo-bytes',
  'node-start',
  'cli-status',
  'ssh-true',
  'term-true',
  'term-open',
  'udp-raw',
  'udp-direct',
] as const;
export type RowName = (typeof ROW_NAMES)[number];

/** One measured path. A number is null when that part was not measured (skipped row, failed step). */
export interface BenchResult {
  name: string;
  /** Bulk throughput through one stream, in MB/s (10^6 bytes per second). */
  MBps: number | null;
  /** Median round trip of a 1-byte ping-pong, in milliseconds. */
  p50Ms: number | null;
  /** 99th percentile round trip of the same ping-pong, in milliseconds. */
  p99Ms: number | null;
  /** Time from dial to the first usable stream, in milliseconds. */
  setupMs: number | null;
  /** CPU seconds per GiB of the long downloads, per process (tree) of the path: `agent a`, `ssh`, `sshd`. */
  cpuSecondsPerGiB?: Record<string, number>;
  /** UDP rows: datagrams per second that arrived, and the share of those sent that did not (%). */
  datagramsPerS?: number | null;
  lossPct?: number | null;
  /**
   * UDP rows: datagrams per second the sender offered, and how many its schedule called for that it
   * never sent (it was not scheduled in time): a row whose sender skipped any did not test the rate.
   */
  offeredPerS?: number | null;
  skipped?: number | null;
}

/** A size of something built (row `renderer-js`), in bytes; null when it could not be measured. */
export interface SizeResult {
  name: string;
  /** Sum of the files' sizes before compression. */
  bytes: number | null;
  /** Sum of each file gzipped on its own. */
  gzipBytes: number | null;
  /** How many files were counted. */
  files: number;
}

/** Relay memory: RSS growth per idle authenticated connection, in KiB, keyed by connection count. */
export interface MemoryResult {
  /** `relay` (ours) or `bare-relay` (the minimal ws relay in bench/). */
  name: string;
  connections: number;
  kibPerConnection: number | null;
}

/** The `ratios` object of `--json`: every value is a number or null when an input is missing. */
export type Ratios = Record<string, number | null>;

/** A target printed next to a ratio; `pass` is undefined when the ratio could not be computed. */
export interface TargetLine {
  key: string;
  value: number | null;
  unit: 'x' | 'ms' | 'KiB' | 'B' | 'dg/s' | '%' | 's/GiB';
  /** Human-readable target, e.g. `>= 1.0x`, or '' when the line has no target. */
  target: string;
  pass: boolean | undefined;
}

/**
 * Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for no samples. Nearest-rank, not
 * interpolation, so p99 of 2000 samples is an actual observed round trip.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((Math.min(Math.max(p, 0), 100) / 100) * sorted.length);
  return sorted[Math.max(rank - 1, 0)]!;
}

/**
 * The median of unsorted samples: the middle one, or the mean of the two middle ones for an even
 * count; NaN for no samples. For a few turns of a download, where the nearest-rank p50 of two is the
 * slower of them, not a middle.
 */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A target multiple as printed: `1.0`, `0.45` (toFixed(1) would round 0.45 to 0.5). */
export function multiple(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** `a / b`, or null when either is missing or b is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

/** `a - b`, or null when either is missing. */
export function difference(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  return a - b;
}

/** Target: direct link throughput at least ssh -L's (1.0x). */
export const TARGET_DIRECT_OVER_SSH = 1.0;
/** Target: relay path throughput at least 0.6x the bare ws relay's. */
export const TARGET_RELAY_OVER_BARE = 0.6;
/** Target: E2E + mux add at most 0.3 ms to the median round trip over the bare relay. */
export const TARGET_RTT_OVERHEAD_MS = 0.3;
/** Target: the relay holds at most 16 KiB of RSS per idle authenticated connection. */
export const TARGET_KIB_PER_CONNECTION = 16;
/**
 * Target: `clawbridge forward` / SOCKS proxy over a direct link at least 0.6x ssh -L / ssh -D's
 * throughput on loopback. Restated in issue 29 from 1.0x to what this stack reaches (Node's TLS
 * receive path is CPU-bound there; real links are judged in the profile sections), kept as a
 * regression guard; the SOCKS rows move the same bytes through the same mux and links, so they share it.
 */
export const TARGET_FORWARD_DIRECT_OVER_SSH = 0.6;
/** Target: the same through a relay at least 0.45x ssh's throughput (issue 29; was 0.6x). */
export const TARGET_FORWARD_RELAY_OVER_SSH = 0.45;
/** Target: a reverse forward's long download at least 0.9x a local forward's over the same direct link. */
export const TARGET_REVERSE_OVER_FORWARD = 0.9;
/** Target: each hop of a saved route adds at most this much to the keystroke echo p50 on loopback, in ms. */
export const TARGET_CHAIN_HOP_ECHO_P50_MS = 1;
/** Hops of the route the chain-echo-2hops row goes through. */
export const CHAIN_HOPS = 2;
/**
 * Target: keystroke echo p50 over a direct link at most 3x ssh -tt's on loopback (issue 29 restated it
 * from 1.0x: a key crosses three Node processes where ssh's crosses two C ones, ~1.4 ms more)…
 */
export const TARGET_ECHO_DIRECT_OVER_SSH = 3.0;
/** …and over the relay at most 1.5x ssh -tt's. */
export const TARGET_ECHO_RELAY_OVER_SSH = 1.5;
/** Target: keystroke echo p99 on an idle machine, in ms (direct and relay). */
export const TARGET_ECHO_IDLE_P99_MS = 5;
/** Target: a client command's wall time at most 2.5x `node -e 0`'s (p50). */
export const TARGET_CLI_OVER_NODE = 2.5;
/** Target: `clawbridge term b -- true` at most `ssh host true`'s wall time (p50). */
export const TARGET_TERM_TRUE_OVER_SSH = 1.0;
/** Target: the relay link up (circuit + E2E handshake + first stream), nodes already on the relay, in ms. */
export const TARGET_RELAY_SETUP_MS = 30;
/** Target: terminal request → the remote program's first output, in ms (p50). */
export const TARGET_TERM_OPEN_MS = 100;
/** Target: keystroke echo p99 while another session on the same peer streams output, in ms. */
export const TARGET_TERM_ECHO_LOAD_P99_MS = 50;
/** Target: keystroke → glyph in the web UI's terminal at most this much slower (p50) than the CLI's echo. */
export const TARGET_UI_ECHO_OVER_TERM_P50_MS = 2;
/** Target: 1,200-byte datagrams per second through a UDP forward over a direct link… */
export const TARGET_UDP_DATAGRAMS_PER_S = 50_000;
/** …with less than this share lost, in %. */
export const TARGET_UDP_LOSS_PCT = 0.1;
/** Target: the built renderer's JavaScript, before compression, in bytes (1 MB). */
export const TARGET_RENDERER_JS_BYTES = 1_000_000;

/**
 * The agent rows' ratios against OpenSSH, and the reverse forward's against the local forward (long
 * downloads): [key, our row, the row it is compared with, minimum].
 */
const FORWARD_RATIOS: readonly (readonly [string, RowName, RowName, number])[] = [
  ['forward-direct/ssh-L', 'forward-direct', 'ssh-L', TARGET_FORWARD_DIRECT_OVER_SSH],
  ['forward-relay/ssh-L', 'forward-relay', 'ssh-L', TARGET_FORWARD_RELAY_OVER_SSH],
  ['reverse-direct/forward-direct', 'reverse-direct', 'forward-direct', TARGET_REVERSE_OVER_FORWARD],
  ['socks-direct/ssh-D', 'socks-direct', 'ssh-D', TARGET_FORWARD_DIRECT_OVER_SSH],
  ['socks-relay/ssh-D', 'socks-relay', 'ssh-D', TARGET_FORWARD_RELAY_OVER_SSH],
];
/** The same for many short connections: shown, with no target. */
const SHORT_RATIOS: readonly (readonly [string, RowName, RowName])[] = [
  ['forward-direct-short/ssh-L-short', 'forward-direct-short', 'ssh-L-short'],
  ['forward-relay-short/ssh-L-short', 'forward-relay-short', 'ssh-L-short'],
  ['socks-direct-short/ssh-D-short', 'socks-direct-short', 'ssh-D-short'],
  ['socks-relay-short/ssh-D-short', 'socks-relay-short', 'ssh-D-short'],
];
/** p50 ratios of times (lower is better): [key, our row, the other row, maximum]. */
const TIME_RATIOS: readonly (readonly [string, RowName, RowName, number])[] = [
  ['term-echo-idle/ssh-echo p50', 'term-echo-idle', 'ssh-echo', TARGET_ECHO_DIRECT_OVER_SSH],
  ['term-echo-relay/ssh-echo p50', 'term-echo-relay', 'ssh-echo', TARGET_ECHO_RELAY_OVER_SSH],
  ['cli-status/node-start p50', 'cli-status', 'node-start', TARGET_CLI_OVER_NODE],
  ['term-true/ssh-true p50', 'term-true', 'ssh-true', TARGET_TERM_TRUE_OVER_SSH],
];

/**
 * The echo rows over the floors of the same number of processes (bench/echo-floor.ts), measured in the
 * same blocks of keys: what our code and ssh's add above what this machine costs any chain that long,
 * and what one more process in the loop costs here (to set beside the route's per-hop line). Shown,
 * not judged: the targets stay on the rows themselves.
 */
function floorLines(row: (name: RowName) => BenchResult | undefined): TargetLine[] {
  const over = (ours: RowName, floor: RowName, pct: 'p50Ms' | 'p99Ms'): TargetLine => ({
    key: `${ours}-${floor} ${pct}`,
    value: difference(row(ours)?.[pct], row(floor)?.[pct]),
    unit: 'ms',
    target: '',
    pass: undefined,
  });
  const lines = [
    over('term-echo-idle', 'echo-floor-4', 'p50Ms'),
    over('term-echo-idle', 'echo-floor-4', 'p99Ms'),
    over('ssh-echo', 'echo-floor-3', 'p50Ms'),
    over('ssh-echo', 'echo-floor-3', 'p99Ms'),
  ];
  // One process more: the 4-process floor is our path's length, the 3-process one ssh's.
  const oneMore = difference(row('echo-floor-4')?.p50Ms, row('echo-floor-3')?.p50Ms);
  lines.push({
    key: 'echo-floor per process p50Ms',
    value: oneMore,
    unit: 'ms',
    target: '',
    pass: undefined,
  });
  return lines.filter((l) => l.value !== null);
}

/** Computes the ratio lines (with targets) from the rows and memory results of one run. */
export function computeTargets(
  results: readonly BenchResult[],
  memory: readonly MemoryResult[],
  sizes: readonly SizeResult[] = [],
): TargetLine[] {
  const row = (name: RowName) => results.find((r) => r.name === name);
  const atLeast = (value: number | null, min: number) => (value === null ? undefined : value >= min);
  const atMost = (value: number | null, max: number) => (value === null ? undefined : value <= max);
  const directSsh = ratio(row('direct')?.MBps, row('ssh-L')?.MBps);
  const relayBare = ratio(row('relay')?.MBps, row('bare-relay')?.MBps);
  const relayRtt = difference(row('relay')?.p50Ms, row('bare-relay')?.p50Ms);
  const lines: TargetLine[] = [
    {
      key: 'direct/ssh-L',
      value: directSsh,
      unit: 'x',
      target: `>= ${TARGET_DIRECT_OVER_SSH.toFixed(1)}x`,
      pass: atLeast(directSsh, TARGET_DIRECT_OVER_SSH),
    },
    {
      key: 'relay/bare-relay',
      value: relayBare,
      unit: 'x',
      target: `>= ${TARGET_RELAY_OVER_BARE.toFixed(1)}x`,
      pass: atLeast(relayBare, TARGET_RELAY_OVER_BARE),
    },
    {
      key: 'direct/raw-tls',
      value: ratio(row('direct')?.MBps, row('raw-tls')?.MBps),
      unit: 'x',
      target: '',
      pass: undefined,
    },
    {
      key: 'relay-bare-relay p50Ms',
      value: relayRtt,
      unit: 'ms',
      target: `<= ${TARGET_RTT_OVERHEAD_MS} ms`,
      pass: atMost(relayRtt, TARGET_RTT_OVERHEAD_MS),
    },
    {
      key: 'direct-raw-tls p50Ms',
      value: difference(row('direct')?.p50Ms, row('raw-tls')?.p50Ms),
      unit: 'ms',
      target: '',
      pass: undefined,
    },
  ];
  for (const [key, ours, ssh, min] of FORWARD_RATIOS) {
    const value = ratio(row(ours)?.MBps, row(ssh)?.MBps);
    lines.push({ key, value, unit: 'x', target: `>= ${multiple(min)}x`, pass: atLeast(value, min) });
  }
  lines.push({
    key: 'first-byte-forward/first-byte-ssh-L p50',
    value: ratio(row('first-byte-forward')?.p50Ms, row('first-byte-ssh-L')?.p50Ms),
    unit: 'x',
    target: '',
    pass: undefined,
  });
  for (const [key, ours, other] of SHORT_RATIOS) {
    lines.push({
      key,
      value: ratio(row(ours)?.MBps, row(other)?.MBps),
      unit: 'x',
      target: '',
      pass: undefined,
    });
  }
  for (const [key, ours, other, max] of TIME_RATIOS) {
    const value = ratio(row(ours)?.p50Ms, row(other)?.p50Ms);
    lines.push({ key, value, unit: 'x', target: `<= ${multiple(max)}x`, pass: atMost(value, max) });
  }
  const finite = (v: number | null | undefined) => (v != null && Number.isFinite(v) ? v : null);
  for (const name of ['term-echo-idle', 'term-echo-relay'] as const) {
    const value = finite(row(name)?.p99Ms);
    lines.push({
      key: `${name} p99Ms`,
      value,
      unit: 'ms',
      target: `<= ${TARGET_ECHO_IDLE_P99_MS} ms`,
      pass: atMost(value, TARGET_ECHO_IDLE_P99_MS),
    });
  }
  lines.push(...floorLines(row));
  const relaySetup = finite(row('relay')?.setupMs);
  const termOpen = finite(row('term-open')?.p50Ms);
  lines.push(
    {
      key: 'relay setupMs',
      value: relaySetup,
      unit: 'ms',
      target: `<= ${TARGET_RELAY_SETUP_MS} ms`,
      pass: atMost(relaySetup, TARGET_RELAY_SETUP_MS),
    },
    {
      key: 'term-open p50Ms',
      value: termOpen,
      unit: 'ms',
      target: `<= ${TARGET_TERM_OPEN_MS} ms`,
      pass: atMost(termOpen, TARGET_TERM_OPEN_MS),
    },
  );
  const p99 = row('term-echo-load')?.p99Ms;
  const echoLoad = p99 != null && Number.isFinite(p99) ? p99 : null;
  lines.push({
    key: 'term-echo-load p99Ms',
    value: echoLoad,
    unit: 'ms',
    target: `<= ${TARGET_TERM_ECHO_LOAD_P99_MS} ms`,
    pass: atMost(echoLoad, TARGET_TERM_ECHO_LOAD_P99_MS),
  });
  const chainAdded = difference(row('chain-echo-2hops')?.p50Ms, row('chain-echo-direct')?.p50Ms);
  const perHop = chainAdded === null ? null : chainAdded / CHAIN_HOPS;
  lines.push({
    key: 'chain-echo per hop p50Ms',
    value: perHop,
    unit: 'ms',
    target: `<= ${TARGET_CHAIN_HOP_ECHO_P50_MS} ms`,
    pass: atMost(perHop, TARGET_CHAIN_HOP_ECHO_P50_MS),
  });
  // Where the per-hop figure comes from: the second hop alone, without the route's end-to-end layer.
  const secondHop = difference(row('chain-echo-2hops')?.p50Ms, row('chain-echo-1hop')?.p50Ms);
  if (secondHop !== null) {
    lines.push({
      key: 'chain-echo 2nd hop p50Ms',
      value: secondHop,
      unit: 'ms',
      target: '',
      pass: undefined,
    });
  }
  const uiOverTerm = difference(row('ui-echo')?.p50Ms, row('term-echo-idle')?.p50Ms);
  lines.push(
    {
      key: 'ui-echo-term-echo-idle p50Ms',
      value: uiOverTerm,
      unit: 'ms',
      target: `<= ${TARGET_UI_ECHO_OVER_TERM_P50_MS} ms`,
      pass: atMost(uiOverTerm, TARGET_UI_ECHO_OVER_TERM_P50_MS),
    },
    {
      key: 'ui-echo-bytes-term-echo-idle p50Ms',
      value: difference(row('ui-echo-bytes')?.p50Ms, row('term-echo-idle')?.p50Ms),
      unit: 'ms',
      target: '',
      pass: undefined,
    },
  );
  // Each agent's CPU per GiB beside ssh's and sshd's (issue 29), from the same long downloads.
  for (const name of ['forward-direct', 'forward-relay', 'ssh-L'] as const) {
    for (const [label, v] of Object.entries(row(name)?.cpuSecondsPerGiB ?? {})) {
      lines.push({ key: `${name} CPU ${label}`, value: v, unit: 's/GiB', target: '', pass: undefined });
    }
  }
  const control = row('udp-raw');
  if (control) {
    lines.push(
      {
        key: 'udp-raw datagrams/s',
        value: control.datagramsPerS ?? null,
        unit: 'dg/s',
        target: '',
        pass: undefined,
      },
      { key: 'udp-raw loss', value: control.lossPct ?? null, unit: '%', target: '', pass: undefined },
    );
  }
  const udp = row('udp-direct');
  if (udp) {
    const rate = udp.datagramsPerS ?? null;
    const loss = udp.lossPct ?? null;
    lines.push(
      {
        key: 'udp-direct datagrams/s',
        value: rate,
        unit: 'dg/s',
        target: `>= ${TARGET_UDP_DATAGRAMS_PER_S} dg/s`,
        pass: atLeast(rate, TARGET_UDP_DATAGRAMS_PER_S),
      },
      {
        key: 'udp-direct loss',
        value: loss,
        unit: '%',
        target: `< ${TARGET_UDP_LOSS_PCT} %`,
        pass: loss === null ? undefined : loss < TARGET_UDP_LOSS_PCT,
      },
      // Loss counts only what was sent: a sender that could not offer the rate (a busy machine) makes
      // the two lines above about a lower rate, and says so here.
      {
        key: 'udp-direct offered',
        value: udp.offeredPerS ?? null,
        unit: 'dg/s',
        target: `${TARGET_UDP_DATAGRAMS_PER_S} dg/s, none skipped`,
        pass: udp.skipped == null ? undefined : udp.skipped === 0,
      },
    );
  }
  for (const m of memory) {
    const isOurs = m.name === 'relay';
    lines.push({
      key: `${m.name} KiB/conn ${formatCount(m.connections)}`,
      value: m.kibPerConnection,
      unit: 'KiB',
      target: isOurs ? `<= ${TARGET_KIB_PER_CONNECTION} KiB` : '',
      pass: isOurs ? atMost(m.kibPerConnection, TARGET_KIB_PER_CONNECTION) : undefined,
    });
  }
  for (const size of sizes) {
    const isRenderer = size.name === 'renderer-js';
    lines.push(
      {
        key: `${size.name} bytes`,
        value: size.bytes,
        unit: 'B',
        target: isRenderer ? `<= ${TARGET_RENDERER_JS_BYTES} B` : '',
        pass: isRenderer ? atMost(size.bytes, TARGET_RENDERER_JS_BYTES) : undefined,
      },
      { key: `${size.name} gzip bytes`, value: size.gzipBytes, unit: 'B', target: '', pass: undefined },
    );
  }
  return lines;
}

/** The `ratios` object for `--json`: key → value (null when not measured). */
export function ratiosObject(lines: readonly TargetLine[]): Ratios {
  return Object.fromEntries(lines.map((l) => [l.key, l.value === null ? null : round(l.value, 3)]));
}

/** `1000` → `1k`, `5000` → `5k`, `1500` → `1500`. */
export function formatCount(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** Rounds to `digits` decimals (for JSON, so the output is not full of float noise). */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A number with a sensible precision for its size, or `-` when missing. */
export function formatNumber(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A ratio line's value with its unit: `1.25x`, `0.130 ms`, `695079 B` (bytes are whole). */
export function formatValue(value: number, unit: TargetLine['unit']): string {
  if (unit === 'x') return `${formatNumber(value)}x`;
  if (unit === 'B') return `${Number.isFinite(value) ? Math.round(value) : '-'} B`;
  return `${formatNumber(value)} ${unit}`;
}

/** Left-aligns the first column and right-aligns the others. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The human-readable report: the rows, then the ratios with their targets and PASS/MISS, then notes
 * (skipped rows, how things were measured). A miss is reported, never fatal.
 */
export function formatReport(
  results: readonly BenchResult[],
  lines: readonly TargetLine[],
  notes: readonly string[] = [],
  sizes: readonly SizeResult[] = [],
  baseline?: Baseline,
): string {
  const rows = alignColumns([
    ['path', 'MB/s', 'p50 ms', 'p99 ms', 'setup ms'],
    ...results.map((r) => [
      r.name,
      formatNumber(r.MBps),
      formatNumber(r.p50Ms),
      formatNumber(r.p99Ms),
      formatNumber(r.setupMs),
    ]),
  ]);
  // Beside the last release's figure when there is one (bench/baseline.ts): the change, WORSE flagged.
  const targets = alignColumns([
    ['ratio', 'value', ...(baseline ? ['last release', 'change'] : []), 'target', 'result'],
    ...lines.map((l) => [
      l.key,
      l.value === null ? '-' : formatValue(l.value, l.unit),
      ...(baseline ? lastReleaseCells(l, baseline, formatValue) : []),
      l.target || '-',
      l.pass === undefined ? (l.target ? 'n/a' : '') : l.pass ? 'PASS' : 'MISS',
    ]),
  ]);
  const out = [...rows, ''];
  if (sizes.length > 0) {
    const bytes = (v: number | null) => (v === null ? '-' : String(Math.round(v)));
    out.push(
      ...alignColumns([
        ['size', 'bytes', 'gzip bytes', 'files'],
        ...sizes.map((s) => [s.name, bytes(s.bytes), bytes(s.gzipBytes), String(s.files)]),
      ]),
      '',
    );
  }
  // With --only, a run may have no ratio at all: no header for an empty list.
  if (lines.length > 0) out.push(...targets);
  else out.pop();
  const all =
    baseline && lines.length > 0
      ? [
          ...notes,
          `last release: ${baseline.release} (bench/baseline.json); WORSE: moved the wrong way for its target by more than ${NOISE_SHARE * 100} %`,
        ]
      : notes;
  if (all.length > 0) out.push('', ...all.map((n) => `note: ${n}`));
  return out.join('\n');
}

/**
 * The `--json` document: `{results, ratios, better}`, numbers rounded to 3 decimals, and `extra`'s keys
 * (`profiles`: the emulated-link sections, bench/profile-report.ts).
 */
export function jsonReport(
  results: readonly BenchResult[],
  lines: readonly TargetLine[],
  extra: Readonly<Record<string, unknown>> = {},
): string {
  const r3 = (v: number | null) => (v === null || !Number.isFinite(v) ? null : round(v, 3));
  return JSON.stringify({
    results: results.map((r) => ({
      name: r.name,
      MBps: r3(r.MBps),
      p50Ms: r3(r.p50Ms),
      p99Ms: r3(r.p99Ms),
      setupMs: r3(r.setupMs),
    })),
    ratios: ratiosObject(lines),
    better: betterObject(lines),
    ...extra,
  });
}

/**
 * `better` of `--json`: for each ratio line (`x`, ours over an anchor measured beside it) whose target
 * says which way is better, that way; what the baseline check of bench:compare judges (ADR 0108).
 */
export function betterObject(lines: readonly TargetLine[]): Record<string, 'higher' | 'lower'> {
  const out: Record<string, 'higher' | 'lower'> = {};
  for (const l of lines) {
    const way = betterWay(l.target);
    if (l.unit === 'x' && way !== undefined) out[l.key] = way;
  }
  return out;
}
