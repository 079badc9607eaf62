import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatReleaseTable,
  judgeAgainstBaseline,
  judgeRuns,
  medianOf,
  meetsTarget,
  RELEASE_ROWS,
  rowsMeasuredBy,
  type BenchDoc,
} from '../../../bench/compare-rows.js';
import { parseBaseline } from '../../../bench/baseline.js';
import { readFileSync } from 'node:fs';

/** One `npm run bench --json` document with every release row in the shape its section files it. */
function doc(scale = 1): BenchDoc {
  return {
    ratios: {
      'forward-direct/ssh-L': 0.7 * scale,
      'forward-relay/ssh-L': 0.5 * scale,
      'term-true/ssh-true p50': 0.3 / scale,
      'term-echo-load p99Ms': 40 / scale,
      'direct/ssh-L': 0.8 * scale,
    },
    better: { 'forward-direct/ssh-L': 'higher', 'direct/ssh-L': 'higher', 'term-true/ssh-true p50': 'lower' },
    messages: { ratios: { 'msg-10k/mqtt-10k': 1.1 * scale } },
    footprint: {
      rows: [{ name: 'agent a, 2 linked (direct + relay)', ratio: 1.2 / scale }],
    },
    'terminal-footprint': { ratios: { 'terminal-server MB': 88 } },
    files: {
      ratios: [
        {
          label: 'file send / scp, big file (MB/s)',
          value: 1.05 * scale,
          target: '>= 0.6x',
          verdict: 'PASS',
        },
      ],
    },
    'relay-scale': { nodes: 15000, registered: 15000, ratios: { 'relay KiB/node': 23.5 / scale } },
    'page-bytes': { ratios: { 'page-bytes KB': 440 } },
    profiles: [
      { name: 'lan', ratios: {} },
      { name: 'long-fat', ratios: { 'forward-direct/ssh-L': 2.5 * scale } },
    ],
  };
}

describe('RELEASE_ROWS', () => {
  it('reads each of issue 83’s rows out of the section that measures it', () => {
    const figures = Object.fromEntries(RELEASE_ROWS.map((r) => [r.key, r.pick(doc())]));
    assert.deepEqual(figures, {
      'msg-10k/mqtt-10k': 1.1,
      'agent-2-linked/node': 1.2,
      'forward-direct/ssh-L': 0.7,
      'forward-relay/ssh-L': 0.5,
      'file-send/scp big': 1.05,
      'relay KiB/node': 23.5,
      'page-bytes KB': 440,
      'terminal-server MB': 88,
      'long-fat forward-direct/ssh-L': 2.5,
      'term-true/ssh-true p50': 0.3,
      'term-echo-load p99Ms': 40,
    });
  });

  it('reads a row a run did not measure as null, not as a crash', () => {
    for (const r of RELEASE_ROWS) assert.equal(r.pick({}), null, `${r.key} of an empty run`);
    assert.equal(
      RELEASE_ROWS[0]!.pick({ messages: { ratios: { 'msg-10k/mqtt-10k': null } } }),
      null,
      'a null ratio',
    );
  });

  it('reads the page’s bytes and the terminal’s server side from their sections’ ratios', () => {
    const page = RELEASE_ROWS.find((r) => r.key === 'page-bytes KB')!;
    const terminal = RELEASE_ROWS.find((r) => r.key === 'terminal-server MB')!;
    assert.equal(page.pick({ 'page-bytes': { ratios: { 'page-bytes KB': 232.8 } } }), 232.8, 'page bytes');
    assert.equal(
      terminal.pick({ 'terminal-footprint': { ratios: { 'terminal-server MB': 106.1 } } }),
      106.1,
      'terminal server side',
    );
    const v = judgeRuns(
      rowsMeasuredBy(['page-bytes']),
      [{ 'page-bytes': { ratios: { 'page-bytes KB': 200 } } }],
      [{ 'page-bytes': { ratios: { 'page-bytes KB': 240 } } }],
    );
    assert.deepEqual(v.regressions, ['page-bytes KB'], 'a page 20 % heavier than its base fails the gate');
  });

  it('names the runs that measure a row by their --only names', () => {
    assert.deepEqual(
      rowsMeasuredBy(['footprint', 'msg-10k']).map((r) => r.key),
      ['msg-10k/mqtt-10k', 'agent-2-linked/node'],
    );
    assert.equal(rowsMeasuredBy(null).length, RELEASE_ROWS.length);
  });

  it('has a last-release figure in bench/baseline.json for every side-by-side row with a figure before issue 83', () => {
    const baseline = parseBaseline(
      readFileSync(new URL('../../../bench/baseline.json', import.meta.url), 'utf8'),
    );
    for (const key of [
      'msg-10k/mqtt-10k',
      'agent-2-linked/node',
      'forward-direct/ssh-L',
      'forward-relay/ssh-L',
      'file-send/scp big',
      'relay KiB/node',
    ]) {
      assert.equal(typeof baseline.figures[key], 'number', `${key} in bench/baseline.json`);
    }
  });
});

describe('the verdicts of the release rows', () => {
  it('takes the median of the runs of each build and fails a row worse by more than 10 %', () => {
    const v = judgeRuns(
      rowsMeasuredBy(['msg-10k', 'relay-scale']),
      [doc(), doc(), doc(0.5)],
      [doc(0.85), doc(0.8)],
    );
    assert.deepEqual(
      v.rows.map((r) => [r.name, r.base, Number(r.head!.toFixed(4)), r.verdict]),
      [
        ['msg-10k/mqtt-10k', 1.1, 0.9075, 'WORSE'],
        ['relay KiB/node', 23.5, 28.511, 'WORSE'],
      ],
    );
    assert.equal(v.pass, false);
    assert.equal(medianOf([null, 3, 1]), 2);
    assert.equal(medianOf([null]), null);
  });

  it('judges a run against the baseline on side-by-side rows and the loopback ratios that say which way is better', () => {
    const baseline = {
      release: 'r',
      sources: {},
      figures: {
        'msg-10k/mqtt-10k': 1.0,
        'direct/ssh-L': 1.0,
        'relay KiB/node': 10,
        'forward-relay/ssh-L': 0.5,
      },
    };
    const v = judgeAgainstBaseline(doc(), baseline);
    const byName = Object.fromEntries(v.rows.map((r) => [r.name, r.verdict]));
    assert.equal(byName['msg-10k/mqtt-10k'], 'PASS');
    assert.equal(byName['direct/ssh-L'], 'WORSE', 'a loopback ratio 20 % down');
    assert.equal(
      byName['relay KiB/node'],
      undefined,
      'KiB a node moves with the machine: not judged against a file',
    );
    assert.equal(byName['agent-2-linked/node'], 'no base');
    assert.deepEqual(v.regressions, ['direct/ssh-L']);
    assert.equal(v.pass, false);
    assert.equal(
      judgeAgainstBaseline({ messages: doc().messages }, baseline).pass,
      true,
      'rows not in the run are skipped',
    );
  });

  it('prints the release rows beside the last release, with the change, the target and whether it is met', () => {
    const baseline = {
      release: 'v9 (abc1234)',
      figures: { 'msg-10k/mqtt-10k': 0.64, 'relay KiB/node': 24.6, 'term-true/ssh-true p50': 0.2 },
      sources: { 'relay KiB/node': 'an earlier run' },
    };
    const text = formatReleaseTable(doc(), baseline, ['msg-10k', 'relay-scale', 'term-true']);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^release row\s+this run\s+last release\s+change\s+target\s+result$/);
    assert.match(
      lines[1]!,
      /^10,000 messages a → b vs mosquitto QoS 1 \(msg-10k\/mqtt-10k\)\s+1\.1\s+0\.64\s+72 % better\s+>= 1\.0x\s+PASS$/,
    );
    assert.match(lines[2]!, /relay KiB\/node\)\s+23\.5\s+24\.6 \*\s+4 % better\s+<= 24 KiB\s+PASS$/);
    assert.match(lines[3]!, /term-true\/ssh-true p50\)\s+0\.3\s+0\.2\s+50 % worse WORSE\s+hold\s+MISS$/);
    assert.match(lines.at(-2)!, /^last release: v9 \(abc1234\); WORSE: more than 10 % worse than it/);
    assert.equal(lines.at(-1), '* not from that run: an earlier run');
  });

  it('reads a target as a bound', () => {
    assert.equal(meetsTarget('>= 1.0x', 1), true);
    assert.equal(meetsTarget('<= 24 KiB', 24.1), false);
    assert.equal(meetsTarget('hold', 1), undefined);
    assert.equal(meetsTarget('>= 1.0x', null), undefined);
  });
});
