/**
 * The ratios and targets of the emulated-link sections (issue 29, bench/profile-section.ts), computed
 * from one section's rows and, for `lan`, the loopback rows of the same run. Pure: no I/O, no clocks,
 * unit-tested in test/unit/bench/profile-targets.test.ts. Every figure comes from rows measured in the
 * run; a line whose inputs are missing has no value and no verdict, never a stand-in number.
 */
import { multiple, ratio, type BenchResult, type TargetLine } from './table.js';

/** The figures one section row carries besides its text (any may be absent). */
export interface ProfileFigures {
  /** Download rate, MB/s. */
  MBps?: number;
  /** Median (of a time or of echo samples), ms. */
  p50Ms?: number;
  /** 99th percentile of echo or ping samples, ms. */
  p99Ms?: number;
  /** Rate of the download that ran while keys were typed, MB/s. */
  loadMBps?: number;
}

export interface ProfileRowFigures extends ProfileFigures {
  name: string;
}

/** The rows' names the targets read (bench/profile-section.ts writes them). */
export const PROFILE_ROW = {
  raw: 'download raw-tcp',
  forwardDirect: 'download forward-direct',
  rawFresh: 'download raw-tcp (new connection)',
  forwardDirectNewLink: 'download forward-direct (new link)',
  forwardDirectFresh: 'download forward-direct (new connection)',
  forwardRelay: 'download forward-relay',
  sshL: 'download ssh-L',
  termTrue: 'term-true',
  sshTrue: 'ssh-true',
  sshTrueMaster: 'ssh-true-master',
  firstByteForward: 'first-byte forward',
  firstByteSsh: 'first-byte ssh-L',
  echoIdleTerm: 'echo-idle term',
  echoIdleSsh: 'echo-idle ssh -tt (ControlMaster)',
  echoLoadTerm: 'echo-load term',
  echoLoadSsh: 'echo-load ssh -tt (ControlMaster)',
} as const;

/** broadband: keystroke echo p99 under load at most RTT + this, in ms. */
export const TARGET_BROADBAND_ECHO_LOAD_OVER_RTT_MS = 30;
/** broadband: …with the download meanwhile at least this share of raw TCP. */
export const TARGET_BROADBAND_LOAD_OVER_RAW = 0.9;
/** broadband: forward-direct and forward-relay at least this share of raw TCP. */
export const TARGET_BROADBAND_FORWARD_OVER_RAW = 0.9;
/** broadband: `term PEER -- true` at most this share of `ssh host true`. */
export const TARGET_BROADBAND_TERM_TRUE_OVER_SSH = 0.33;
/** broadband: a new forwarded connection's first byte at most `ssh -L`'s. */
export const TARGET_BROADBAND_FIRST_BYTE_OVER_SSH = 1.0;
/** long-fat: forward-direct at least this share of the raw TCP ceiling… */
export const TARGET_LONG_FAT_FORWARD_OVER_RAW = 0.9;
/** …and at least this multiple of `ssh -L`. */
export const TARGET_LONG_FAT_FORWARD_OVER_SSH = 2;
/**
 * long-fat: a download on a new connection through the forward, on a link quiet for a while and on a
 * new link, at least this share of raw TCP's on a new connection (issue 52: an independent emulator
 * read 0.69×; ADR 0044).
 */
export const TARGET_LONG_FAT_FRESH_FORWARD_OVER_RAW = 0.9;
/**
 * lan: each ratio no worse than the same ratio on loopback by more than this share (0.1 = 10 %): a
 * throughput ratio at least 0.9× loopback's, a time ratio at most 1.1× loopback's. One-sided because
 * the two sides of "within" are not the same claim: a 1 Gbit/s link caps both contenders at 125 MB/s
 * (so a loopback ratio bounded by Node's CPU, 0.63× `ssh -L`, rises towards 1×), and 1 ms of shared
 * RTT dilutes each process's fixed cost (so echo and start-up ratios fall). Neither is a regression;
 * a lan ratio *worse* than loopback's would be (docs/adr/0026-lan-vs-loopback.md).
 */
export const TARGET_LAN_WITHIN = 0.1;

/** A ratio of two section rows: [key, our row, the other row, which figure]. */
type SectionRatio = readonly [string, string, string, 'MBps' | 'p50Ms'];

/** The ratios every section prints (those with a target get it from TARGETS below). */
const SECTION_RATIOS: readonly SectionRatio[] = [
  ['forward-direct/raw-tcp', PROFILE_ROW.forwardDirect, PROFILE_ROW.raw, 'MBps'],
  ['forward-relay/raw-tcp', PROFILE_ROW.forwardRelay, PROFILE_ROW.raw, 'MBps'],
  ['ssh-L/raw-tcp', PROFILE_ROW.sshL, PROFILE_ROW.raw, 'MBps'],
  ['forward-direct/ssh-L', PROFILE_ROW.forwardDirect, PROFILE_ROW.sshL, 'MBps'],
  ['forward-relay/ssh-L', PROFILE_ROW.forwardRelay, PROFILE_ROW.sshL, 'MBps'],
  ['term-true/ssh-true p50', PROFILE_ROW.termTrue, PROFILE_ROW.sshTrue, 'p50Ms'],
  ['term-true/ssh-true-master p50', PROFILE_ROW.termTrue, PROFILE_ROW.sshTrueMaster, 'p50Ms'],
  ['first-byte forward/ssh-L p50', PROFILE_ROW.firstByteForward, PROFILE_ROW.firstByteSsh, 'p50Ms'],
  ['echo-idle term/ssh p50', PROFILE_ROW.echoIdleTerm, PROFILE_ROW.echoIdleSsh, 'p50Ms'],
];

/** Ratios of rows only some profiles measure (LinkProfile.freshDownload): printed where they ran. */
const OPTIONAL_RATIOS: readonly SectionRatio[] = [
  ['forward-direct/raw-tcp new connection', PROFILE_ROW.forwardDirectFresh, PROFILE_ROW.rawFresh, 'MBps'],
  ['forward-direct/raw-tcp new link', PROFILE_ROW.forwardDirectNewLink, PROFILE_ROW.rawFresh, 'MBps'],
];

/** [profile, key, minimum or maximum, at least?]: the targets on section ratios. */
const TARGETS: readonly (readonly [string, string, number, boolean])[] = [
  ['broadband', 'forward-direct/raw-tcp', TARGET_BROADBAND_FORWARD_OVER_RAW, true],
  ['broadband', 'forward-relay/raw-tcp', TARGET_BROADBAND_FORWARD_OVER_RAW, true],
  ['broadband', 'term-true/ssh-true p50', TARGET_BROADBAND_TERM_TRUE_OVER_SSH, false],
  ['broadband', 'first-byte forward/ssh-L p50', TARGET_BROADBAND_FIRST_BYTE_OVER_SSH, false],
  ['long-fat', 'forward-direct/raw-tcp', TARGET_LONG_FAT_FORWARD_OVER_RAW, true],
  ['long-fat', 'forward-direct/ssh-L', TARGET_LONG_FAT_FORWARD_OVER_SSH, true],
  ['long-fat', 'forward-direct/raw-tcp new connection', TARGET_LONG_FAT_FRESH_FORWARD_OVER_RAW, true],
  ['long-fat', 'forward-direct/raw-tcp new link', TARGET_LONG_FAT_FRESH_FORWARD_OVER_RAW, true],
];

/**
 * The loopback table's counterpart of a section ratio, for `lan` (same workload, same method): the
 * first byte of a new forwarded connection is the loopback table's first-byte rows, timed as the
 * section times its own (bench/in-turns.ts: a warm-up turn, then the median of three in turns). The
 * rows' setup times were used until this release: one cold first connection each, whose `ssh -L`
 * figure alone moved the line between 0.41× and 4.87× from run to run. Ratios with no loopback
 * counterpart are not compared: ssh over a ControlMaster, echo under a download on the same link, and
 * anything over raw TCP — on loopback raw TCP is bounded by the CPU only (2 GB/s), on `lan` by the
 * emulated 1 Gbit/s, so the two ceilings are not the same thing.
 */
const LOOPBACK_COUNTERPART: Readonly<Record<string, readonly [string, string, 'MBps' | 'p50Ms']>> = {
  'forward-direct/ssh-L': ['forward-direct', 'ssh-L', 'MBps'],
  'forward-relay/ssh-L': ['forward-relay', 'ssh-L', 'MBps'],
  'term-true/ssh-true p50': ['term-true', 'ssh-true', 'p50Ms'],
  'first-byte forward/ssh-L p50': ['first-byte-forward', 'first-byte-ssh-L', 'p50Ms'],
  'echo-idle term/ssh p50': ['term-echo-idle', 'ssh-echo', 'p50Ms'],
};

const atLeast = (v: number | null, min: number) => (v === null ? undefined : v >= min);
const atMost = (v: number | null, max: number) => (v === null ? undefined : v <= max);

/**
 * The section's ratio lines with the issue's targets for `profile`. `loopback` is the loopback table
 * of the same run, or null when it did not run (then `lan`'s lines have a target and no verdict).
 */
export function profileTargets(
  profile: { name: string; rttMs: number },
  rows: readonly ProfileRowFigures[],
  loopback: readonly BenchResult[] | null,
): TargetLine[] {
  const figure = (name: string, f: keyof ProfileFigures): number | null => {
    const v = rows.find((r) => r.name === name)?.[f];
    return v !== undefined && Number.isFinite(v) ? v : null;
  };
  const lines: TargetLine[] = [];
  const values = new Map<string, number | null>();
  const measured = (name: string) => rows.some((r) => r.name === name);
  const optional = OPTIONAL_RATIOS.filter(([, ours, other]) => measured(ours) || measured(other));
  for (const [key, ours, other, f] of [...SECTION_RATIOS, ...optional]) {
    const value = ratio(figure(ours, f), figure(other, f));
    values.set(key, value);
    const t = TARGETS.find(([p, k]) => p === profile.name && k === key);
    lines.push({
      key,
      value,
      unit: 'x',
      target: t ? `${t[3] ? '>=' : '<='} ${multiple(t[2])}x` : '',
      pass: t ? (t[3] ? atLeast(value, t[2]) : atMost(value, t[2])) : undefined,
    });
  }
  // Echo while a download saturates the same link: p99 over the set RTT, and the download meanwhile.
  const broadband = profile.name === 'broadband';
  const raw = figure(PROFILE_ROW.raw, 'MBps');
  for (const [who, name] of [
    ['term', PROFILE_ROW.echoLoadTerm],
    ['ssh', PROFILE_ROW.echoLoadSsh],
  ] as const) {
    const p99 = figure(name, 'p99Ms');
    const over = p99 === null ? null : p99 - profile.rttMs;
    const load = ratio(figure(name, 'loadMBps'), raw);
    const targeted = broadband && who === 'term';
    lines.push(
      {
        key: `echo-load ${who} p99 - RTT`,
        value: over,
        unit: 'ms',
        target: targeted ? `<= ${TARGET_BROADBAND_ECHO_LOAD_OVER_RTT_MS} ms` : '',
        pass: targeted ? atMost(over, TARGET_BROADBAND_ECHO_LOAD_OVER_RTT_MS) : undefined,
      },
      {
        key: `echo-load ${who} download/raw-tcp`,
        value: load,
        unit: 'x',
        target: targeted ? `>= ${multiple(TARGET_BROADBAND_LOAD_OVER_RAW)}x` : '',
        pass: targeted ? atLeast(load, TARGET_BROADBAND_LOAD_OVER_RAW) : undefined,
      },
    );
  }
  if (profile.name === 'lan') {
    for (const [key, [ours, other, f]] of Object.entries(LOOPBACK_COUNTERPART)) {
      const lan = values.get(key) ?? null;
      const row = (name: string) => loopback?.find((r) => r.name === name)?.[f];
      const loop = loopback === null ? null : ratio(row(ours), row(other));
      const value = ratio(lan, loop);
      // MB/s: higher is better; a time (p50, setup): lower is better.
      const higherBetter = f === 'MBps';
      const bound = higherBetter ? 1 - TARGET_LAN_WITHIN : 1 + TARGET_LAN_WITHIN;
      lines.push({
        key: `${key} vs loopback`,
        value,
        unit: 'x',
        target: `${higherBetter ? '>=' : '<='} ${multiple(bound)}x`,
        pass: higherBetter ? atLeast(value, bound - 1e-9) : atMost(value, bound + 1e-9),
      });
    }
  }
  return lines;
}

/** Why the `lan` lines have no verdict, or null when they could have one. */
export function lanNote(profileName: string, loopback: readonly BenchResult[] | null): string | null {
  if (profileName !== 'lan') return null;
  if (loopback === null)
    return '`vs loopback` lines: the loopback rows were not run (--profile runs one section alone; `npm run bench` runs both): no verdict';
  return "`vs loopback` lines: each lan ratio over the same ratio in this run's loopback table (target: no worse by more than 10 %: MB/s >= 0.9x, times <= 1.1x); a missing loopback row leaves its line without a verdict";
}
