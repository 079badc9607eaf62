import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareGateRows,
  DEFAULT_COMPARE_ROWS,
  DEFAULT_COMPARE_SECTIONS,
  DEFAULT_SECTION_ROUNDS,
  formatComparison,
  formatProfileComparison,
  parseCompareArgs,
} from '../../../bench/compare-report.js';

describe('parseCompareArgs', () => {
  const rowsOf = (argv: string[]) => {
    const args = parseCompareArgs(argv);
    assert.equal(args.mode, 'rows', `${argv.join(' ')} compares rows`);
    return args.mode === 'rows' ? args : assert.fail('not rows');
  };

  it('takes one revision and measures issue 83’s rows: the forwards in turns and the sections in two runs each', () => {
    assert.deepEqual(parseCompareArgs(['HEAD~1']), {
      mode: 'rows',
      ref: 'HEAD~1',
      rows: DEFAULT_COMPARE_ROWS,
      sections: DEFAULT_COMPARE_SECTIONS,
      rounds: DEFAULT_SECTION_ROUNDS,
    });
    assert.deepEqual(DEFAULT_COMPARE_SECTIONS, ['msg-10k', 'footprint', 'files', 'relay-scale']);
  });

  it('takes the rows and sections after --only or --only=, and --rounds', () => {
    assert.deepEqual(rowsOf(['--only', 'term-echo-relay, socks-direct', 'v0.1.0']).rows, [
      'term-echo-relay',
      'socks-direct',
    ]);
    assert.deepEqual(rowsOf(['main', '--only=forward-relay']).rows, ['forward-relay']);
    const mixed = rowsOf(['main', '--only', 'footprint,forward-direct,msg-10k', '--rounds=3']);
    assert.deepEqual(mixed.rows, ['forward-direct']);
    assert.deepEqual(mixed.sections, ['footprint', 'msg-10k']);
    assert.equal(mixed.rounds, 3);
    assert.throws(() => parseCompareArgs(['main', '--rounds', '0']), /--rounds needs a whole number/);
  });

  it('takes --profile NAME to compare one emulated-link section, and no --only with it', () => {
    assert.deepEqual(parseCompareArgs(['v1', '--profile', 'broadband']), {
      mode: 'profile',
      ref: 'v1',
      profile: 'broadband',
    });
    assert.deepEqual(parseCompareArgs(['--profile=lan', 'v1']), {
      mode: 'profile',
      ref: 'v1',
      profile: 'lan',
    });
    assert.throws(
      () => parseCompareArgs(['v1', '--profile', 'lan', '--only', 'forward-direct']),
      /no --only/,
    );
    assert.throws(() => parseCompareArgs(['v1', '--profile=']), /--profile needs a name/);
  });

  it('takes --baseline FILE alone: one run judged against bench/baseline.json', () => {
    assert.deepEqual(parseCompareArgs(['--baseline', 'run.json']), { mode: 'baseline', file: 'run.json' });
    assert.deepEqual(parseCompareArgs(['--baseline=a=b.json']), { mode: 'baseline', file: 'a=b.json' });
    assert.throws(() => parseCompareArgs(['HEAD', '--baseline', 'run.json']), /no REF or other option/);
    assert.throws(() => parseCompareArgs(['--baseline']), /--baseline needs the file/);
  });

  it('refuses a missing or second revision, unknown rows and unknown options, with the usage', () => {
    assert.throws(() => parseCompareArgs([]), /name one git revision[\s\S]*usage: npm run bench:compare/);
    assert.throws(() => parseCompareArgs(['a', 'b']), /name one git revision/);
    assert.throws(() => parseCompareArgs(['a', '--only', 'ssh-L']), /unknown row ssh-L/);
    assert.throws(() => parseCompareArgs(['a', '--only=']), /--only needs rows/);
    assert.throws(() => parseCompareArgs(['a', '--json']), /unknown option --json/);
  });
});

describe('compareGateRows', () => {
  it('judges bulk rows by MB/s, higher better, and echo rows by p50, lower better', () => {
    const r = (name: string, MBps: number | null, p50Ms: number | null) => ({
      name,
      MBps,
      p50Ms,
      p99Ms: null,
      setupMs: null,
    });
    assert.deepEqual(
      compareGateRows(
        ['forward-direct', 'term-echo-idle'],
        [r('forward-direct', 400, 0.3), r('term-echo-idle', null, 1.2)],
        [r('forward-direct', 350, 0.2)],
      ),
      [
        { name: 'forward-direct MB/s', better: 'higher', base: 400, head: 350 },
        { name: 'term-echo-idle p50 ms', better: 'lower', base: 1.2, head: null },
      ],
    );
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
    assert.match(lines[1]!, /forward-direct\s+MB\/s \(higher is better\)\s+400\s+500\s+1\.25x\s+PASS$/);
    assert.match(lines[2]!, /term-echo-idle\s+p50 ms \(lower is better\)\s+1\.200\s+0\.900\s+0\.75x\s+PASS$/);
  });

  it('under a throughput row, each process’s CPU seconds per GiB in both builds, shown and not judged', () => {
    const out = formatComparison(
      'r',
      ['forward-direct'],
      [{ ...row('forward-direct', 400, 0.3), cpuSecondsPerGiB: { 'agent a': 1, 'agent b': 2 } }],
      [{ ...row('forward-direct', 380, 0.3), cpuSecondsPerGiB: { 'agent a': 1.1 } }],
    );
    const lines = out.split('\n');
    assert.match(lines[2]!, /^ {2}agent a\s+CPU s\/GiB \(lower is better\)\s+1\.00\s+1\.10\s+1\.10x$/);
    assert.match(lines[3]!, /^ {2}agent b\s+CPU s\/GiB \(lower is better\)\s+2\.00\s+–\s+–$/);
  });

  it('shows a dash where a build could not measure a row', () => {
    const out = formatComparison('r', ['socks-relay'], [], [row('socks-relay', 300, null)]);
    assert.match(out.split('\n')[1]!, /socks-relay\s+MB\/s \(higher is better\)\s+–\s+300\s+–/);
  });
});

describe('the 10 % limit of bench:compare (the release gate, ADR 0108)', () => {
  const row = (name: string, MBps: number | null, p50Ms: number | null) => ({
    name,
    MBps,
    p50Ms,
    p99Ms: null,
    setupMs: null,
  });

  it('misses a row more than 10 % worse than the base, either way round; on the limit passes', () => {
    const out = formatComparison(
      'v1',
      ['forward-direct', 'term-echo-idle', 'forward-relay'],
      [row('forward-direct', 400, null), row('term-echo-idle', null, 1), row('forward-relay', 200, null)],
      [row('forward-direct', 359, null), row('term-echo-idle', null, 1.1), row('forward-relay', 180, null)],
    ).split('\n');
    assert.match(out[0]!, /within 10 %$/);
    assert.match(out[1]!, /0\.90x\s+MISS$/);
    assert.match(out[2]!, /1\.10x\s+PASS$/);
    assert.match(out[3]!, /0\.90x\s+PASS$/);
  });

  it('compares a profile section row by row; raw TCP and ssh are controls with no verdict', () => {
    const base = [
      { name: 'download raw-tcp', MBps: 12 },
      { name: 'download forward-direct', MBps: 11.8 },
      { name: 'term-true', p50Ms: 150 },
      { name: 'echo-load term', p50Ms: 60, p99Ms: 80 },
      { name: 'echo-load ssh -tt (ControlMaster)', p50Ms: 160, p99Ms: 240 },
      { name: '  where it went' },
    ];
    const head = [
      { name: 'download raw-tcp', MBps: 11 },
      { name: 'download forward-direct', MBps: 10.5 },
      { name: 'term-true', p50Ms: 140 },
      { name: 'echo-load term', p50Ms: 55, p99Ms: 90 },
    ];
    const out = formatProfileComparison('v1', 'broadband', base, head).split('\n');
    assert.equal(out[0], 'profile broadband: v1 against this checkout');
    const line = (re: RegExp) => out.find((l) => re.test(l));
    assert.match(line(/^download raw-tcp/)!, /12\.0\s+11\.0\s+0\.92x\s+control$/);
    assert.match(line(/^download forward-direct/)!, /11\.8\s+10\.5\s+0\.89x\s+MISS$/);
    assert.match(line(/^term-true/)!, /p50 ms \(lower is better\)\s+150\.0\s+140\.0\s+0\.93x\s+PASS$/);
    assert.match(line(/^echo-load term\s+p50/)!, /PASS$/);
    assert.match(line(/^echo-load term\s+p99/)!, /80\.0\s+90\.0\s+1\.13x\s+MISS$/);
    assert.match(line(/^echo-load ssh/)!, /240\.0\s+–\s+–\s+control$|160\.0\s+–\s+–\s+control$/);
    assert.equal(
      out.some((l) => l.includes('where it went')),
      false,
    );
  });
});
