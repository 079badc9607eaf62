/**
 * The last release's figures (bench/baseline.json), printed beside this run's so a figure that went
 * backwards is seen in the run that moved it, not months later. Pure: the file's text in, the columns
 * out (test/unit/bench/baseline.test.ts); bench/run.ts reads the file.
 *
 * A line is judged only where its target says which way is better (`>=`: higher, `<=` or `<`: lower);
 * a line without one (a reference path's figure, a ratio kept for the record) is shown beside the last
 * release and not judged. Two runs minutes apart differ by up to NOISE_SHARE on the shared 2-core
 * machine (docs/performance.md §Method), so a smaller move is not called worse: WORSE says run
 * `bench:compare`, which measures both builds side by side, not that the change is real.
 */
import type { TargetLine } from './table.js';

/** The last release's figures: each ratio line's value, keyed as `computeTargets` keys it. */
export interface Baseline {
  /** Which run the figures come from (`run 19 (c103d83)`), printed in the column's note. */
  release: string;
  figures: Readonly<Record<string, number>>;
  /** Where a figure came from when not from the release's own run (`sources` in the file). */
  sources: Readonly<Record<string, string>>;
}

/** The share of the last figure within which a move is not called worse (two runs' spread). */
export const NOISE_SHARE = 0.2;

/** bench/baseline.json's text as a Baseline; an error naming what is wrong when it is not one. */
export function parseBaseline(text: string): Baseline {
  const doc = JSON.parse(text) as unknown;
  if (typeof doc !== 'object' || doc === null) throw new Error('bench/baseline.json: not an object');
  const {
    release,
    figures,
    sources = {},
  } = doc as { release?: unknown; figures?: unknown; sources?: unknown };
  if (typeof release !== 'string') throw new Error('bench/baseline.json: `release` is not a string');
  if (typeof figures !== 'object' || figures === null || Array.isArray(figures)) {
    throw new Error('bench/baseline.json: `figures` is not an object');
  }
  for (const [key, value] of Object.entries(figures)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`bench/baseline.json: figure "${key}" is not a number`);
    }
  }
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) {
    throw new Error('bench/baseline.json: `sources` is not an object');
  }
  for (const [key, value] of Object.entries(sources)) {
    if (typeof value !== 'string') throw new Error(`bench/baseline.json: source of "${key}" is not a string`);
    if (!(key in figures)) throw new Error(`bench/baseline.json: source of "${key}", which has no figure`);
  }
  return {
    release,
    figures: figures as Record<string, number>,
    sources: sources as Record<string, string>,
  };
}

/** Which way is better for a line, from its target; undefined when it has no target that says. */
export function betterWay(target: string): 'higher' | 'lower' | undefined {
  if (target.startsWith('>=') || target.startsWith('>')) return 'higher';
  if (target.startsWith('<=') || target.startsWith('<')) return 'lower';
  return undefined;
}

export interface Comparison {
  /** The last release's figure, or undefined when it had none for this line. */
  last: number | undefined;
  /** The change against it, as a share of its size (+0.1 = 10 % more); undefined when not comparable. */
  change: number | undefined;
  /** The figure moved the wrong way by more than the noise. */
  worse: boolean;
}

/** This run's line against the last release's figure. */
export function compareLine(line: TargetLine, baseline: Baseline): Comparison {
  const last = baseline.figures[line.key];
  if (last === undefined || line.value === null || !Number.isFinite(line.value)) {
    return { last, change: undefined, worse: false };
  }
  const change = last === 0 ? undefined : (line.value - last) / Math.abs(last);
  const way = betterWay(line.target);
  const moved = line.value - last;
  const worse =
    way !== undefined &&
    (way === 'higher' ? moved < 0 : moved > 0) &&
    (last === 0 || Math.abs(moved) > NOISE_SHARE * Math.abs(last));
  return { last, change, worse };
}

/** `+3 %`, `-12 %`, `0 %`: a change as printed. */
export function changeText(change: number): string {
  const pct = Math.round(change * 100);
  return `${pct > 0 ? '+' : ''}${pct} %`;
}

/**
 * The two columns a ratio line gets: the last release's figure (formatted as this run's, by `format`)
 * and the change, with `WORSE` where it went backwards; `-` where the last release had no figure.
 */
export function lastReleaseCells(
  line: TargetLine,
  baseline: Baseline,
  format: (value: number, unit: TargetLine['unit']) => string,
): [string, string] {
  const c = compareLine(line, baseline);
  if (c.last === undefined) return ['-', ''];
  const change = c.change === undefined ? '' : changeText(c.change);
  return [format(c.last, line.unit), c.worse ? `${change} WORSE`.trim() : change];
}
