import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGate, judge, judgeRow, REGRESSION_LIMIT, worseBy } from '../../../bench/compare-gate.js';

describe('worseBy', () => {
  it('reads a rate falling and a time rising as worse, each by its share of the base', () => {
    assert.ok(Math.abs(worseBy('higher', 100, 85)! - 0.15) < 1e-12, 'a rate 15 % lower is 15 % worse');
    assert.ok(Math.abs(worseBy('lower', 10, 11.5)! - 0.15) < 1e-12, 'a time 15 % longer is 15 % worse');
    assert.ok(worseBy('higher', 100, 120)! < 0, 'a rate that rose is better');
    assert.ok(worseBy('lower', 10, 8)! < 0, 'a time that fell is better');
  });

  it('cannot compare a missing side or a base that is not a positive figure', () => {
    assert.equal(worseBy('higher', null, 1), null);
    assert.equal(worseBy('lower', 1, null), null);
    assert.equal(worseBy('lower', 0, 1), null);
    assert.equal(worseBy('lower', -0.257, 0.1), null);
    assert.equal(worseBy('higher', 1, Number.NaN), null);
  });
});

describe('judgeRow', () => {
  it('passes a row exactly on the 10 % limit and fails one past it, both ways round', () => {
    assert.equal(REGRESSION_LIMIT, 0.1);
    assert.equal(judgeRow({ name: 'r', better: 'lower', base: 1, head: 1.1 }).verdict, 'PASS');
    assert.equal(judgeRow({ name: 'r', better: 'lower', base: 1, head: 1.1001 }).verdict, 'WORSE');
    assert.equal(judgeRow({ name: 'r', better: 'higher', base: 1, head: 0.9 }).verdict, 'PASS');
    assert.equal(judgeRow({ name: 'r', better: 'higher', base: 1, head: 0.8999 }).verdict, 'WORSE');
  });

  it('says a row this checkout did not measure is not measured, and one with no base is not judged', () => {
    assert.equal(judgeRow({ name: 'r', better: 'lower', base: 1, head: null }).verdict, 'not measured');
    assert.equal(judgeRow({ name: 'r', better: 'lower', base: null, head: 1 }).verdict, 'no base');
  });
});

describe('judge', () => {
  const rows = [
    { name: 'msg-10k/mqtt-10k', better: 'higher' as const, base: 0.64, head: 0.5 },
    { name: 'agent-2-linked/node', better: 'lower' as const, base: 1.4, head: 1.45 },
    { name: 'relay KiB/node', better: 'lower' as const, base: 24.6, head: 28 },
    { name: 'file-send/scp big', better: 'higher' as const, base: 0.77, head: null },
  ];

  it('fails naming every row more than 10 % worse, and a row not measured unless told to skip it', () => {
    const v = judge(rows);
    assert.deepEqual(v.regressions, ['msg-10k/mqtt-10k', 'relay KiB/node']);
    assert.deepEqual(v.unmeasured, ['file-send/scp big']);
    assert.equal(v.pass, false);
    const skipped = judge(rows.slice(1, 2).concat(rows.slice(3)), { missing: 'skip' });
    assert.equal(skipped.pass, true, 'a 3.6 % worse row and one not in this run pass a baseline check');
  });

  it('prints the table and a last line that names what failed', () => {
    const text = formatGate('v1 against this checkout', 'v1', judge(rows));
    const lines = text.split('\n');
    assert.equal(lines[0], 'v1 against this checkout');
    assert.match(lines[1]!, /^row\s+better\s+v1\s+this checkout\s+worse by\s+verdict$/);
    assert.match(lines[2]!, /^msg-10k\/mqtt-10k\s+higher\s+0\.64\s+0\.5\s+\+21\.9 %\s+WORSE$/);
    assert.match(lines[3]!, /^agent-2-linked\/node\s+lower\s+1\.4\s+1\.45\s+\+3\.6 %\s+PASS$/);
    assert.match(lines[5]!, /^file-send\/scp big\s+higher\s+0\.77\s+–\s+–\s+not measured$/);
    assert.equal(
      lines.at(-1),
      'gate FAILED: msg-10k/mqtt-10k (worse by more than 10 %), relay KiB/node (worse by more than 10 %), file-send/scp big (not measured)',
    );
    assert.equal(
      formatGate('t', 'v1', judge(rows, { missing: 'skip' }))
        .split('\n')
        .at(-1),
      'gate FAILED: msg-10k/mqtt-10k (worse by more than 10 %), relay KiB/node (worse by more than 10 %)',
      'a row skipped is not named as a failure',
    );
    assert.match(
      formatGate('t', 'v1', judge(rows.slice(1, 2))),
      /gate passed: no row worse than v1 by more than 10 %$/,
    );
  });
});
