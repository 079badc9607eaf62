/**
 * The release rows (issue 83's table and the leads it must hold): each row's figure read out of one
 * `npm run bench --json` document, which way is better, its target, and the `--only` names that
 * measure it. bench/run.ts prints them as one table beside the last release (bench/baseline.json);
 * bench/compare.ts judges them for two builds, or one run against the baseline (ADR 0108). Pure,
 * unit-tested in test/unit/bench/compare-rows.test.ts.
 *
 * A section's gate figures sit under `ratios` in its part of the document, keyed as the row's key,
 * except where an older section already had its own shape (files' lines, footprint's rows).
 */
import type { Baseline } from './baseline.js';
import {
  figureText,
  judge,
  REGRESSION_LIMIT,
  type Better,
  type GateRow,
  type GateVerdict,
} from './compare-gate.js';

/** A parsed `npm run bench --json` document. */
export type BenchDoc = Readonly<Record<string, unknown>>;

export interface ReleaseRow {
  /** The figure's key: in bench/baseline.json, and in the document where it is a loopback ratio. */
  key: string;
  /** What it is, as issue 83's table says it. */
  label: string;
  /** `npm run bench -- --only NAMES` measures it (`long-fat`: `--profile long-fat`). */
  only: readonly string[];
  better: Better;
  /** Issue 83's target, or `hold` for a lead it must keep. */
  target: string;
  /**
   * The figure is ours over an anchor measured in the same run, in turns (mosquitto, `ssh -L`, scp, an
   * idle node): judged against the baseline file, since the machine's speed cancels out of it. The
   * others (a KiB count, a p99 in ms) move with the machine and are judged only by bench:compare.
   */
  sideBySide: boolean;
  pick: (doc: BenchDoc) => number | null;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** `doc[section].ratios[key]`: the convention for a section's gate figures. */
const sectionRatio = (section: string, key: string) => (doc: BenchDoc) =>
  num(obj(obj(doc[section])?.ratios)?.[key]);
/** A loopback table's ratio line, `doc.ratios[key]`. */
const loopback = (key: string) => (doc: BenchDoc) => num(obj(doc.ratios)?.[key]);

export const RELEASE_ROWS: readonly ReleaseRow[] = [
  {
    key: 'msg-10k/mqtt-10k',
    label: '10,000 messages a → b vs mosquitto QoS 1',
    only: ['msg-10k'],
    better: 'higher',
    target: '>= 1.0x',
    sideBySide: true,
    pick: sectionRatio('messages', 'msg-10k/mqtt-10k'),
  },
  {
    key: 'agent-2-linked/node',
    label: 'idle agent, 2 linked peers, vs an idle node',
    only: ['footprint'],
    better: 'lower',
    target: '<= 1.25x',
    sideBySide: true,
    pick: (doc) => {
      const row = list(obj(doc.footprint)?.rows).find((r) =>
        String(obj(r)?.name).startsWith('agent a, 2 linked'),
      );
      return num(obj(row)?.ratio);
    },
  },
  {
    key: 'forward-direct/ssh-L',
    label: 'loopback forward, direct, vs ssh -L',
    only: ['forward-direct', 'ssh-L'],
    better: 'higher',
    target: '>= 0.65x',
    sideBySide: true,
    pick: loopback('forward-direct/ssh-L'),
  },
  {
    key: 'forward-relay/ssh-L',
    label: 'loopback forward, relayed, vs ssh -L',
    only: ['forward-relay', 'ssh-L'],
    better: 'higher',
    target: '>= 0.5x',
    sideBySide: true,
    pick: loopback('forward-relay/ssh-L'),
  },
  {
    key: 'file-send/scp big',
    label: '1 GiB file send vs scp (rate)',
    only: ['files'],
    better: 'higher',
    target: '>= 1.0x',
    sideBySide: true,
    pick: (doc) => {
      const line = list(obj(doc.files)?.ratios).find((l) =>
        String(obj(l)?.label).startsWith('file send / scp, big file'),
      );
      return num(obj(line)?.value);
    },
  },
  {
    key: 'relay KiB/node',
    label: 'relay over wss, 15,000 idle nodes, KiB a node',
    only: ['relay-scale'],
    better: 'lower',
    target: '<= 24 KiB',
    sideBySide: false,
    pick: sectionRatio('relay-scale', 'relay KiB/node'),
  },
  {
    key: 'page-bytes KB',
    label: 'browser page, first load, KB over the wire',
    only: ['page-bytes'],
    better: 'lower',
    target: '<= 450 KB',
    sideBySide: false,
    pick: sectionRatio('page-bytes', 'page-bytes KB'),
  },
  {
    key: 'terminal-server MB',
    label: "browser terminal's server side, one terminal, MB",
    only: ['terminal-footprint'],
    better: 'lower',
    target: '<= 90 MB',
    sideBySide: false,
    pick: sectionRatio('terminal-footprint', 'terminal-server MB'),
  },
  {
    key: 'long-fat forward-direct/ssh-L',
    label: 'long-fat forward vs ssh -L',
    only: ['long-fat'],
    better: 'higher',
    target: 'hold',
    sideBySide: true,
    pick: (doc) => {
      const section = list(doc.profiles).find((p) => obj(p)?.name === 'long-fat');
      return num(obj(obj(section)?.ratios)?.['forward-direct/ssh-L']);
    },
  },
  {
    key: 'term-true/ssh-true p50',
    label: '`term -- true` vs `ssh true`',
    only: ['term-true', 'ssh-true'],
    better: 'lower',
    target: 'hold',
    sideBySide: true,
    pick: loopback('term-true/ssh-true p50'),
  },
  {
    key: 'term-echo-load p99Ms',
    label: 'typing under a download, p99 ms',
    only: ['term-echo-load'],
    better: 'lower',
    target: 'hold',
    sideBySide: false,
    pick: loopback('term-echo-load p99Ms'),
  },
];

/** The release rows a run with `--only` names measured (all of them without `--only`). */
export function rowsMeasuredBy(only: readonly string[] | null): ReleaseRow[] {
  if (only === null) return [...RELEASE_ROWS];
  return RELEASE_ROWS.filter((r) => r.only.some((n) => only.includes(n)));
}

/** The median of the figures that exist, null when none does. */
export function medianOf(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/**
 * bench:compare over whole sections: each row's median over REF's runs against its median over this
 * checkout's, run in turns. A row this checkout did not measure fails the gate.
 */
export function judgeRuns(
  rows: readonly ReleaseRow[],
  baseDocs: readonly BenchDoc[],
  headDocs: readonly BenchDoc[],
): GateVerdict {
  return judge(
    rows.map((r): GateRow => ({
      name: r.key,
      better: r.better,
      base: medianOf(baseDocs.map(r.pick)),
      head: medianOf(headDocs.map(r.pick)),
    })),
  );
}

/**
 * One fresh run against the last release (bench/baseline.json): the side-by-side release rows, and
 * every loopback ratio line (`x`) the document says which way is better for (`better`). Rows the run
 * did not measure are listed, not failed (a run with `--only` measures some).
 */
export function judgeAgainstBaseline(doc: BenchDoc, baseline: Baseline): GateVerdict {
  const rows: GateRow[] = RELEASE_ROWS.filter((r) => r.sideBySide).map((r) => ({
    name: r.key,
    better: r.better,
    base: baseline.figures[r.key] ?? null,
    head: r.pick(doc),
  }));
  const better = obj(doc.better) ?? {};
  for (const [key, way] of Object.entries(better)) {
    if (rows.some((r) => r.name === key) || (way !== 'higher' && way !== 'lower')) continue;
    const head = loopback(key)(doc);
    if (head === null && baseline.figures[key] === undefined) continue;
    rows.push({ name: key, better: way, base: baseline.figures[key] ?? null, head });
  }
  return judge(rows, { missing: 'skip' });
}

/** Whether a figure meets a target written `>= 1.0x` or `<= 24 KiB`; undefined for `hold` or no figure. */
export function meetsTarget(target: string, value: number | null): boolean | undefined {
  const m = /^(>=|<=)\s*([\d.]+)/.exec(target);
  if (!m || value === null) return undefined;
  return m[1] === '>=' ? value >= Number(m[2]) : value <= Number(m[2]);
}

/** A share worse as words: `12 % worse`, `3 % better`, `same`. */
export function changeText(worseBy: number): string {
  const pct = Math.round(Math.abs(worseBy) * 100);
  return pct === 0 ? 'same' : `${pct} % ${worseBy > 0 ? 'worse' : 'better'}`;
}

/**
 * The release rows of one run as printed at its end: this run's figure beside the last release's, the
 * change, the target and whether it is met; a `hold` row is met while it is not more than the
 * gate's limit worse than the last release. Rows the run did not measure are left out; '' when none is.
 */
export function formatReleaseTable(
  doc: BenchDoc,
  baseline: Baseline | undefined,
  only: readonly string[] | null,
): string {
  const lines = [['release row', 'this run', 'last release', 'change', 'target', 'result']];
  const rows = rowsMeasuredBy(only);
  if (rows.length === 0) return '';
  const verdict = judge(
    rows.map((r) => ({
      name: r.key,
      better: r.better,
      base: baseline?.figures[r.key] ?? null,
      head: r.pick(doc),
    })),
    { missing: 'skip' },
  );
  for (const [i, r] of rows.entries()) {
    const j = verdict.rows[i]!;
    const met =
      r.target === 'hold'
        ? j.verdict === 'PASS'
          ? true
          : j.verdict === 'WORSE'
            ? false
            : undefined
        : meetsTarget(r.target, j.head);
    const change = j.worseBy === null ? '' : changeText(j.worseBy);
    lines.push([
      `${r.label} (${r.key})`,
      figureText(j.head),
      `${figureText(j.base)}${baseline?.sources[r.key] === undefined ? '' : ' *'}`,
      j.verdict === 'WORSE' ? `${change} WORSE` : change,
      r.target,
      met === undefined ? 'n/a' : met ? 'PASS' : 'MISS',
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const sourced = rows.map((r) => baseline?.sources[r.key]).filter((s) => s !== undefined);
  return [
    ...lines.map((l) =>
      l
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    ),
    `last release: ${baseline?.release ?? 'none (bench/baseline.json not read)'}; WORSE: more than ${Math.round(REGRESSION_LIMIT * 100)} % worse than it (the gate's rule, docs/testing.md §Before a release)`,
    ...[...new Set(sourced)].map((s) => `* not from that run: ${s}`),
  ].join('\n');
}
