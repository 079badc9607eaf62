/**
 * The release gate's verdict (ADR 0108): per row a figure of the base (REF's build, or the last
 * release's bench/baseline.json) and one of this checkout, and which way is better; a row more than
 * REGRESSION_LIMIT worse than its base fails the gate. Pure: rows in, verdict out
 * (test/unit/bench/compare-gate.test.ts, test/property/bench-gate.test.ts); bench/compare.ts exits
 * non-zero on a failed verdict and names the rows.
 */

/** How much worse than its base a row may be before the gate fails (issue 83: more than 10 %). */
export const REGRESSION_LIMIT = 0.1;
/** Float noise: 1.1 / 1 - 1 is 0.10000000000000009, which is on the limit, not over it. */
const EPSILON = 1e-9;

/** Which way a row's figure is better: throughput and ratios over an anchor's rate up, times and bytes down. */
export type Better = 'higher' | 'lower';

/** One row as the gate sees it; a figure is null when that side did not measure it. */
export interface GateRow {
  name: string;
  better: Better;
  base: number | null;
  head: number | null;
}

export type RowVerdict = 'PASS' | 'WORSE' | 'not measured' | 'no base';

export interface JudgedRow extends GateRow {
  /**
   * How much worse this checkout is than the base, as a share (0.12: 12 % worse; negative: better);
   * null when the two cannot be compared (a side missing, or a base that is not a positive figure).
   */
  worseBy: number | null;
  verdict: RowVerdict;
}

export interface GateVerdict {
  rows: JudgedRow[];
  /** Rows more than the limit worse than their base. */
  regressions: string[];
  /** Rows this checkout did not measure. */
  unmeasured: string[];
  /** Whether an unmeasured row fails the gate ('fail') or is only listed ('skip'). */
  missing: 'fail' | 'skip';
  pass: boolean;
}

/**
 * How much worse `head` is than `base`, direction-aware: for a lower-is-better figure head / base − 1
 * (1.1× the time is 10 % worse), for a higher-is-better one 1 − head / base (0.9× the rate is 10 %
 * worse). Null unless both are finite and the base is positive: a ratio to zero or to a negative
 * difference says nothing about how much worse.
 */
export function worseBy(better: Better, base: number | null, head: number | null): number | null {
  if (base === null || head === null || !Number.isFinite(base) || !Number.isFinite(head) || base <= 0) {
    return null;
  }
  return better === 'lower' ? head / base - 1 : 1 - head / base;
}

/** One row judged against `limit`. */
export function judgeRow(row: GateRow, limit = REGRESSION_LIMIT): JudgedRow {
  const by = worseBy(row.better, row.base, row.head);
  const verdict: RowVerdict =
    row.head === null || !Number.isFinite(row.head)
      ? 'not measured'
      : by === null
        ? 'no base'
        : by > limit + EPSILON
          ? 'WORSE'
          : 'PASS';
  return { ...row, worseBy: by, verdict };
}

/**
 * Every row judged. The gate fails on any WORSE row; a row this checkout did not measure fails it too
 * when `missing` is 'fail' (bench:compare: a row asked for and not measured is no pass), and is only
 * listed when 'skip' (a baseline check of a run with `--only`). A row with no base is shown, not judged.
 */
export function judge(
  rows: readonly GateRow[],
  { limit = REGRESSION_LIMIT, missing = 'fail' }: { limit?: number; missing?: 'fail' | 'skip' } = {},
): GateVerdict {
  const judged = rows.map((r) => judgeRow(r, limit));
  const regressions = judged.filter((r) => r.verdict === 'WORSE').map((r) => r.name);
  const unmeasured = judged.filter((r) => r.verdict === 'not measured').map((r) => r.name);
  return {
    rows: judged,
    regressions,
    unmeasured,
    missing,
    pass: regressions.length === 0 && (missing === 'skip' || unmeasured.length === 0),
  };
}

/** A figure as printed: three significant digits, `–` for none. */
export function figureText(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

/**
 * The verdict as a table (row, better, base, this checkout, change, verdict) and a last line that says
 * whether the gate passed and, if not, which rows failed it.
 */
export function formatGate(
  title: string,
  baseName: string,
  verdict: GateVerdict,
  limit = REGRESSION_LIMIT,
): string {
  const lines = [['row', 'better', baseName, 'this checkout', 'worse by', 'verdict']];
  for (const r of verdict.rows) {
    lines.push([
      r.name,
      r.better,
      figureText(r.base),
      figureText(r.head),
      r.worseBy === null ? '–' : `${r.worseBy > 0 ? '+' : ''}${(r.worseBy * 100).toFixed(1)} %`,
      r.verdict,
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const table = lines.map((l) =>
    l
      .map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const limitText = `${Math.round(limit * 100)} %`;
  const failed = [
    ...verdict.regressions.map((n) => `${n} (worse by more than ${limitText})`),
    ...(verdict.missing === 'fail' ? verdict.unmeasured.map((n) => `${n} (not measured)`) : []),
  ];
  const last = verdict.pass
    ? `gate passed: no row worse than ${baseName} by more than ${limitText}`
    : `gate FAILED: ${failed.join(', ')}`;
  return [title, ...table, last].join('\n');
}
