/**
 * `npm run bench` prints each ratio beside the last release's figure (bench/baseline.ts,
 * bench/baseline.json) and flags one that went backwards for its target.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compareLine, parseBaseline, type Baseline } from '../../../bench/baseline.js';
import { computeTargets, formatReport, ROW_NAMES, type TargetLine } from '../../../bench/table.js';

const baseline: Baseline = {
  release: 'run 19 (c103d83)',
  figures: { 'forward-direct/ssh-L': 0.687, 'term-echo-idle p99Ms': 4.75, 'direct/raw-tls': 0.609 },
  sources: {},
};

const line = (
  key: string,
  value: number | null,
  target: string,
  unit: TargetLine['unit'] = 'x',
): TargetLine => ({
  key,
  value,
  unit,
  target,
  pass: undefined,
});

describe('compareLine', () => {
  it('calls a figure worse only when it moved the wrong way for its target by more than the noise', () => {
    // Higher is better (>=): 0.50 is 27 % down.
    assert.equal(compareLine(line('forward-direct/ssh-L', 0.5, '>= 0.6x'), baseline).worse, true);
    // 13 % down is within two runs' spread on the shared machine.
    assert.equal(compareLine(line('forward-direct/ssh-L', 0.6, '>= 0.6x'), baseline).worse, false);
    assert.equal(compareLine(line('forward-direct/ssh-L', 0.8, '>= 0.6x'), baseline).worse, false);
    // Lower is better (<=): a p99 that grew is worse, one that shrank is not.
    assert.equal(compareLine(line('term-echo-idle p99Ms', 6, '<= 5 ms', 'ms'), baseline).worse, true);
    assert.equal(compareLine(line('term-echo-idle p99Ms', 3.9, '<= 5 ms', 'ms'), baseline).worse, false);
    // No target, no direction: shown, not judged.
    assert.equal(compareLine(line('direct/raw-tls', 0.3, ''), baseline).worse, false);
  });

  it('has nothing to compare where the last release had no figure or this run measured none', () => {
    assert.deepEqual(compareLine(line('new-row', 1, '>= 1.0x'), baseline), {
      last: undefined,
      change: undefined,
      worse: false,
    });
    assert.equal(compareLine(line('forward-direct/ssh-L', null, '>= 0.6x'), baseline).change, undefined);
  });
});

describe('parseBaseline', () => {
  it('refuses a file that is not the last release’s figures, naming what is wrong', () => {
    assert.throws(() => parseBaseline('[]'), /`release`/);
    assert.throws(
      () => parseBaseline('{"release": "r", "figures": {"a": "1"}}'),
      /figure "a" is not a number/,
    );
    assert.throws(
      () => parseBaseline('{"release": "r", "figures": {"a": 1}, "sources": {"b": "elsewhere"}}'),
      /source of "b", which has no figure/,
    );
    assert.deepEqual(
      parseBaseline('{"release": "r", "figures": {"a": 1}, "sources": {"a": "elsewhere"}}').sources,
      { a: 'elsewhere' },
    );
  });

  it('reads the checked-in file, which has a figure for every ratio line the bench prints', () => {
    const checked = parseBaseline(
      readFileSync(new URL('../../../bench/baseline.json', import.meta.url), 'utf8'),
    );
    const results = ROW_NAMES.map((name) => ({
      name,
      MBps: 1,
      p50Ms: 1,
      p99Ms: 1,
      setupMs: 1,
      datagramsPerS: 1,
      lossPct: 0,
      offeredPerS: 1,
      skipped: 0,
    }));
    const memory = [1000, 10000].flatMap((connections) =>
      ['relay', 'bare-relay'].map((name) => ({ name, connections, kibPerConnection: 1 })),
    );
    const keys = computeTargets(results, memory, [
      { name: 'renderer-js', bytes: 1, gzipBytes: 1, files: 1 },
    ]).map((l) => l.key);
    assert.deepEqual(
      keys.filter((k) => checked.figures[k] === undefined),
      [],
      'bench/baseline.json has each line',
    );
  });
});

describe('formatReport with the last release', () => {
  it('prints the last release’s figure and the change beside each line, WORSE where it went backwards', () => {
    const lines = [
      { ...line('forward-direct/ssh-L', 0.5, '>= 0.6x'), pass: false },
      { ...line('term-echo-idle p99Ms', 4.5, '<= 5 ms', 'ms'), pass: true },
      line('new-row', 2, ''),
    ];
    const out = formatReport([], lines, [], [], baseline).split('\n');
    assert.match(
      out.find((l) => l.startsWith('ratio'))!,
      /^ratio\s+value\s+last release\s+change\s+target\s+result$/,
    );
    assert.match(
      out.find((l) => l.startsWith('forward-direct/ssh-L'))!,
      /0\.500x\s+0\.687x\s+-27 % WORSE\s+>= 0\.6x\s+MISS$/,
    );
    assert.match(
      out.find((l) => l.startsWith('term-echo-idle p99Ms'))!,
      /4\.50 ms\s+4\.75 ms\s+-5 %\s+<= 5 ms\s+PASS$/,
    );
    assert.match(
      out.find((l) => l.startsWith('new-row'))!,
      /^new-row\s+2\.00x\s+-\s+-$/,
    );
    assert.ok(
      out.some((l) => l.startsWith('note: last release: run 19 (c103d83)')),
      out.join('\n'),
    );
  });

  it('prints the table as before without a baseline', () => {
    const out = formatReport([], [line('forward-direct/ssh-L', 0.6, '>= 0.6x')]).split('\n');
    assert.match(
      out.find((l) => l.startsWith('ratio'))!,
      /^ratio\s+value\s+target\s+result$/,
    );
  });
});
