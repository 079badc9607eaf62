/**
 * The pure half of `npm run bench:compare` (bench/compare.ts): its arguments and its table. Unit-tested
 * in test/unit/bench/compare-report.test.ts.
 */
import type { BenchResult } from './table.js';

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

/** Measured when --only is not given: one bulk row and one typing row. */
export const DEFAULT_COMPARE_ROWS: readonly CompareRow[] = ['forward-direct', 'term-echo-idle'];

export interface CompareArgs {
  /** The git revision to compare this checkout with (a commit, tag or branch). */
  ref: string;
  rows: readonly CompareRow[];
}

/** Reads `REF [--only ROW,ROW…]`. Throws with the usage on anything else. */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  const usage = `usage: npm run bench:compare -- REF [--only ${COMPARE_ROWS.join(',')}]`;
  const positional: string[] = [];
  let only: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--only') only = argv[++i] ?? '';
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n${usage}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) throw new Error(`name one git revision to compare with\n${usage}`);
  if (only === undefined) return { ref: positional[0]!, rows: DEFAULT_COMPARE_ROWS };
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(COMPARE_ROWS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(
      `${unknown.length ? `unknown row ${unknown.join(', ')}` : '--only needs rows'}\n${usage}`,
    );
  }
  return { ref: positional[0]!, rows: names as CompareRow[] };
}

/** What a row compares: throughput (higher is better) or echo p50 (lower is better). */
const isEcho = (row: string) => row.startsWith('term-echo');

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
  const figure = (results: readonly BenchResult[], row: string) => {
    const r = results.find((x) => x.name === row);
    return (isEcho(row) ? r?.p50Ms : r?.MBps) ?? null;
  };
  const lines = [['row', 'unit', ref, 'this checkout', 'this/base']];
  for (const row of rows) {
    const b = figure(base, row);
    const h = figure(head, row);
    const digits = isEcho(row) ? 3 : 0;
    lines.push([
      row,
      isEcho(row) ? 'p50 ms (lower is better)' : 'MB/s (higher is better)',
      b === null ? '–' : b.toFixed(digits),
      h === null ? '–' : h.toFixed(digits),
      b === null || h === null || b === 0 ? '–' : `${(h / b).toFixed(2)}x`,
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}
