/**
 * The pure half of `npm run bench:compare` (bench/compare.ts): its arguments and its table. Unit-tested
 * in test/unit/bench/compare-report.test.ts.
 */
import { REGRESSION_LIMIT, type GateRow } from './compare-gate.js';
import type { BenchResult } from './table.js';

const limitText = `${Math.round(REGRESSION_LIMIT * 100)} %`;

/** Rows bench:compare can measure for both builds. */
export const COMPARE_ROWS = [
  'forward-direct',
  'socks-direct',
  'forward-relay',
  'socks-relay',
  'term-echo-idle',
  'term-echo-relay',
] as const;
export type CompareRow = (typeof COMPARE_ROWS)[number];

/**
 * Release rows (bench/compare-rows.ts) that bench:compare measures by running this checkout's
 * `bench/run.ts --json --only NAME` for each build in turns (REF's build through
 * CLAWBRIDGE_BENCH_CLI): the sections issue 83's table lives in.
 */
export const COMPARE_SECTIONS = ['msg-10k', 'footprint', 'files', 'relay-scale'] as const;
export type CompareSection = (typeof COMPARE_SECTIONS)[number];

/** Measured when --only is not given: issue 83's rows (ADR 0108), the forwards measured in turns. */
export const DEFAULT_COMPARE_ROWS: readonly CompareRow[] = ['forward-direct', 'forward-relay'];
export const DEFAULT_COMPARE_SECTIONS: readonly CompareSection[] = COMPARE_SECTIONS;
/** Runs of bench/run.ts per build for the sections, in turns (ABBA…), unless `--rounds N`. */
export const DEFAULT_SECTION_ROUNDS = 2;

export type CompareArgs =
  | {
      mode: 'rows';
      /** The git revision to compare this checkout with (a commit, tag or branch). */
      ref: string;
      rows: readonly CompareRow[];
      sections: readonly CompareSection[];
      rounds: number;
    }
  /** `--profile NAME`: compare one emulated-link section (bench/profile-section.ts) instead of rows. */
  | { mode: 'profile'; ref: string; profile: string }
  /** `--baseline FILE`: one `npm run bench --json` document against bench/baseline.json. */
  | { mode: 'baseline'; file: string };

const USAGE = `usage: npm run bench:compare -- REF [--only ${[...COMPARE_ROWS, ...COMPARE_SECTIONS].join(',')}] [--rounds N]
       npm run bench:compare -- REF --profile NAME
       npm run bench:compare -- --baseline FILE   (FILE: the output of npm run -s bench -- --json)`;

/** Reads the arguments of the three modes. Throws with the usage on anything else. */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  const usage = USAGE;
  const positional: string[] = [];
  let only: string | undefined;
  let profile: string | undefined;
  let baseline: string | undefined;
  let rounds: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--only') only = value();
    else if (flag === '--profile') profile = value();
    else if (flag === '--baseline') baseline = value();
    else if (flag === '--rounds') rounds = value();
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n${usage}`);
    else positional.push(arg);
  }
  if (baseline !== undefined) {
    if (positional.length > 0 || only !== undefined || profile !== undefined || rounds !== undefined)
      throw new Error(`--baseline judges one run's file: no REF or other option with it\n${usage}`);
    if (baseline === '') throw new Error(`--baseline needs the file of a run\n${usage}`);
    return { mode: 'baseline', file: baseline };
  }
  if (positional.length !== 1) throw new Error(`name one git revision to compare with\n${usage}`);
  const ref = positional[0]!;
  if (profile !== undefined) {
    if (only !== undefined || rounds !== undefined)
      throw new Error(`--profile compares a whole section: no --only or --rounds with it\n${usage}`);
    if (profile === '') throw new Error(`--profile needs a name\n${usage}`);
    return { mode: 'profile', ref, profile };
  }
  const roundCount = rounds === undefined ? DEFAULT_SECTION_ROUNDS : Number(rounds);
  if (!Number.isSafeInteger(roundCount) || roundCount < 1)
    throw new Error(`--rounds needs a whole number of runs per build, got ${rounds}\n${usage}`);
  if (only === undefined)
    return {
      mode: 'rows',
      ref,
      rows: DEFAULT_COMPARE_ROWS,
      sections: DEFAULT_COMPARE_SECTIONS,
      rounds: roundCount,
    };
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const isRow = (n: string): n is CompareRow => (COMPARE_ROWS as readonly string[]).includes(n);
  const isSection = (n: string): n is CompareSection => (COMPARE_SECTIONS as readonly string[]).includes(n);
  const unknown = names.filter((n) => !isRow(n) && !isSection(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `${unknown.length ? `unknown row ${unknown.join(', ')}` : '--only needs rows'}\n${usage}`,
    );
  }
  return {
    mode: 'rows',
    ref,
    rows: names.filter(isRow),
    sections: names.filter(isSection),
    rounds: roundCount,
  };
}

/**
 * The rows measured in turns as the gate judges them (bench/compare-gate.ts): MB/s, higher is better,
 * for bulk rows; p50 ms, lower is better, for echo rows.
 */
export function compareGateRows(
  rows: readonly CompareRow[],
  base: readonly BenchResult[],
  head: readonly BenchResult[],
): GateRow[] {
  return rows.map((row) => ({
    name: `${row} ${isEcho(row) ? 'p50 ms' : 'MB/s'}`,
    better: isEcho(row) ? 'lower' : 'higher',
    base: figureOf(base, row),
    head: figureOf(head, row),
  }));
}

function figureOf(results: readonly BenchResult[], row: string): number | null {
  const r = results.find((x) => x.name === row);
  return (isEcho(row) ? r?.p50Ms : r?.MBps) ?? null;
}

/** What a row compares: throughput (higher is better) or echo p50 (lower is better). */
function isEcho(row: string): boolean {
  return row.startsWith('term-echo');
}

/**
 * The table: per row the base build's figure, this checkout's, and this/base. For throughput above
 * 1.00× is faster; for echo (p50 ms) below 1.00× is faster. A row either build could not measure
 * shows a dash.
 */
export function formatComparison(
  ref: string,
  rows: readonly CompareRow[],
  base: readonly BenchResult[],
  head: readonly BenchResult[],
): string {
  const lines = [['row', 'unit', ref, 'this checkout', 'this/base', `within ${limitText}`]];
  for (const row of rows) {
    const b = figureOf(base, row);
    const h = figureOf(head, row);
    const digits = isEcho(row) ? 3 : 0;
    const ratio = b === null || h === null || b === 0 ? null : h / b;
    const worse = ratio === null ? null : isEcho(row) ? ratio - 1 : 1 - ratio;
    lines.push([
      row,
      isEcho(row) ? 'p50 ms (lower is better)' : 'MB/s (higher is better)',
      b === null ? '–' : b.toFixed(digits),
      h === null ? '–' : h.toFixed(digits),
      ratio === null ? '–' : `${ratio.toFixed(2)}x`,
      worse === null ? 'n/a' : worse <= REGRESSION_LIMIT + EPSILON ? 'PASS' : 'MISS',
    ]);
    if (!isEcho(row)) lines.push(...cpuLines(row, base, head));
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Under a throughput row, each process's CPU seconds per GiB in both builds (lower is better), shown,
 * not judged: on a shared 2-core machine MB/s moves with the neighbours, CPU per GiB much less, so it
 * tells a change that costs work from one that met a busy moment.
 */
function cpuLines(row: string, base: readonly BenchResult[], head: readonly BenchResult[]): string[][] {
  const cpu = (results: readonly BenchResult[]) =>
    results.find((x) => x.name === row)?.cpuSecondsPerGiB ?? {};
  const b = cpu(base);
  const h = cpu(head);
  return [...new Set([...Object.keys(b), ...Object.keys(h)])].map((label) => {
    const bv = b[label];
    const hv = h[label];
    return [
      `  ${label}`,
      'CPU s/GiB (lower is better)',
      bv === undefined ? '–' : bv.toFixed(2),
      hv === undefined ? '–' : hv.toFixed(2),
      bv === undefined || hv === undefined || bv === 0 ? '–' : `${(hv / bv).toFixed(2)}x`,
      '',
    ];
  });
}

/** How much worse than the base a row may be before it is a miss: the release gate's limit (ADR 0108). */
export const COMPARE_WORSE_LIMIT = REGRESSION_LIMIT;
/** Float noise: 1.05 / 1 - 1 is 0.05000000000000004, which is on the limit, not over it. */
const EPSILON = 1e-9;

/** A section row as compared: its name and figures (bench/profile-targets.ts ProfileRowFigures). */
interface FigureRow {
  name: string;
  MBps?: number;
  p50Ms?: number;
  p99Ms?: number;
}

/**
 * Section rows that measure clawbridge (judged against the gate's limit); the others — raw TCP, ssh — run
 * in both halves as controls: when they move, the machine moved, not the code.
 */
const isOurs = (name: string) => /forward|term/.test(name) && !name.startsWith('emu-');

/**
 * One emulated-link section measured for REF and for this checkout: per row and figure (MB/s, higher
 * is better; p50/p99 ms, lower is better) both values, this/base, and for clawbridge's rows PASS when
 * not worse than the base by more than the gate's limit (shown, not gated: a section's rows move
 * more than that between two halves of one run on a loaded machine, docs/performance.md §Method).
 */
export function formatProfileComparison(
  ref: string,
  profile: string,
  base: readonly FigureRow[],
  head: readonly FigureRow[],
): string {
  const lines = [['row', 'figure', ref, 'this checkout', 'this/base', `within ${limitText}`]];
  const names = [...new Set([...head, ...base].map((r) => r.name))];
  for (const name of names) {
    const b = base.find((r) => r.name === name);
    const h = head.find((r) => r.name === name);
    for (const [figure, higherBetter] of [
      ['MBps', true],
      ['p50Ms', false],
      ['p99Ms', false],
    ] as const) {
      const bv = b?.[figure];
      const hv = h?.[figure];
      if (bv === undefined && hv === undefined) continue;
      // Ping and start rows carry only a median; echo rows both percentiles; downloads MB/s.
      if (figure !== 'MBps' && (b?.MBps !== undefined || h?.MBps !== undefined)) continue;
      const ratio = bv !== undefined && hv !== undefined && bv > 0 ? hv / bv : null;
      const worse = ratio === null ? null : higherBetter ? 1 - ratio : ratio - 1;
      lines.push([
        name,
        figure === 'MBps' ? 'MB/s (higher is better)' : `${figure.slice(0, 3)} ms (lower is better)`,
        bv === undefined ? '–' : bv.toFixed(1),
        hv === undefined ? '–' : hv.toFixed(1),
        ratio === null ? '–' : `${ratio.toFixed(2)}x`,
        !isOurs(name)
          ? 'control'
          : worse === null
            ? 'n/a'
            : worse <= COMPARE_WORSE_LIMIT + EPSILON
              ? 'PASS'
              : 'MISS',
      ]);
    }
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return [
    `profile ${profile}: ${ref} against this checkout`,
    ...lines.map((l) =>
      l
        .map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}
