import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_COMPARE_ROWS, formatComparison, parseCompareArgs } from '../../../bench/compare-report.js';

describe('parseCompareArgs', () => {
  it('takes one revision and measures the default rows', () => {
    assert.deepEqual(parseCompareArgs(['HEAD~1']), { ref: 'HEAD~1', rows: DEFAULT_COMPARE_ROWS });
  });

  it('takes the rows after --only or --only=', () => {
    assert.deepEqual(parseCompareArgs(['--only', 'term-echo-relay, socks-direct', 'v0.1.0']).rows, [
      'term-echo-relay',
      'socks-direct',
    ]);
    assert.deepEqual(parseCompareArgs(['main', '--only=forward-relay']).rows, ['forward-relay']);
  });

  it('refuses a missing or second revision, unknown rows and unknown options, with the usage', () => {
    assert.throws(() => parseCompareArgs([]), /name one git revision[\s\S]*usage: npm run bench:compare/);
    assert.throws(() => parseCompareArgs(['a', 'b']), /name one git revision/);
    assert.throws(() => parseCompareArgs(['a', '--only', 'ssh-L']), /unknown row ssh-L/);
    assert.throws(() => parseCompareArgs(['a', '--only=']), /--only needs rows/);
    assert.throws(() => parseCompareArgs(['a', '--json']), /unknown option --json/);
  });
});

describe('formatComparison', () => {
  const row = (name: string, MBps: number | null, p50Ms: number | null) => ({
    name,
    MBps,
    p50Ms,
    p99Ms: null,
    setupMs: null,
  });

  it('shows each build’s figure and this/base: MB/s for bulk rows, p50 for echo rows', () => {
    const out = formatComparison(
      'abc123',
      ['forward-direct', 'term-echo-idle'],
      [row('forward-direct', 400, 0.3), row('term-echo-idle', null, 1.2)],
      [row('forward-direct', 500, 0.2), row('term-echo-idle', null, 0.9)],
    );
    const lines = out.split('\n');
    assert.match(lines[0]!, /row\s+unit\s+abc123\s+this checkout\s+this\/base/);
    assert.match(lines[1]!, /forward-direct\s+MB\/s \(higher is better\)\s+400\s+500\s+1\.25x/);
    assert.match(lines[2]!, /term-echo-idle\s+p50 ms \(lower is better\)\s+1\.200\s+0\.900\s+0\.75x/);
  });

  it('shows a dash where a build could not measure a row', () => {
    const out = formatComparison('r', ['socks-relay'], [], [row('socks-relay', 300, null)]);
    assert.match(out.split('\n')[1]!, /socks-relay\s+MB\/s \(higher is better\)\s+–\s+300\s+–/);
  });
});
