import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  alignColumns,
  computeTargets,
  difference,
  formatCount,
  formatNumber,
  formatReport,
  formatValue,
  jsonReport,
  median,
  percentile,
  ratio,
  ratiosObject,
  type BenchResult,
  type MemoryResult,
} from '../../../bench/table.js';

const row = (name: string, MBps: number | null, p50Ms: number | null): BenchResult => ({
  name,
  MBps,
  p50Ms,
  p99Ms: p50Ms === null ? null : p50Ms * 3,
  setupMs: 1,
});

const results: BenchResult[] = [
  row('raw-tcp', 2000, 0.05),
  row('raw-tls', 800, 0.07),
  row('direct', 600, 0.1),
  row('bare-relay', 400, 0.2),
  row('relay', 200, 0.6),
  row('ssh-L', 500, 0.15),
];
const memory: MemoryResult[] = [
  { name: 'relay', connections: 1000, kibPerConnection: 12 },
  { name: 'relay', connections: 5000, kibPerConnection: 20 },
  { name: 'bare-relay', connections: 1000, kibPerConnection: 7 },
];

describe('median', () => {
  it('is the middle sample, or the mean of the two middle ones', () => {
    assert.equal(median([5, 1, 3]), 3);
    // Two turns of a download: their mean, not the slower one (nearest-rank p50 would give 400).
    assert.equal(median([600, 400]), 500);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])), 'Number.isNaN(median([]))');
  });
});

describe('percentile', () => {
  it('uses nearest rank on unsorted samples', () => {
    const samples = [5, 1, 4, 2, 3];
    assert.equal(percentile(samples, 50), 3);
    assert.equal(percentile(samples, 0), 1);
    assert.equal(percentile(samples, 100), 5);
    assert.equal(percentile(samples, 99), 5);
  });

  it('picks an observed sample for p99 of 2000', () => {
    const samples = Array.from({ length: 2000 }, (_, i) => i + 1);
    assert.equal(percentile(samples, 99), 1980);
    assert.equal(percentile(samples, 50), 1000);
  });

  it('is NaN without samples and does not reorder its input', () => {
    assert.ok(Number.isNaN(percentile([], 50)), 'Number.isNaN(percentile([], 50))');
    const samples = [3, 1, 2];
    percentile(samples, 50);
    assert.deepEqual(samples, [3, 1, 2]);
  });
});

describe('ratio and difference', () => {
  it('divide and subtract when both sides exist', () => {
    assert.equal(ratio(300, 600), 0.5);
    assert.equal(difference(0.5, 0.2)?.toFixed(3), '0.300');
  });

  it('are null when a side is missing or the divisor is not positive', () => {
    assert.equal(ratio(null, 1), null);
    assert.equal(ratio(1, undefined), null);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(1, Number.NaN), null);
    assert.equal(difference(1, null), null);
  });
});

describe('computeTargets', () => {
  const lines = computeTargets(results, memory);
  const line = (key: string) => lines.find((l) => l.key === key);

  it('computes the throughput ratios with PASS/MISS against the targets', () => {
    assert.equal(line('direct/ssh-L')?.value, 1.2);
    assert.equal(line('direct/ssh-L')?.pass, true);
    assert.equal(line('relay/bare-relay')?.value, 0.5);
    assert.equal(line('relay/bare-relay')?.pass, false);
    assert.equal(line('direct/raw-tls')?.value, 0.75);
    assert.equal(line('direct/raw-tls')?.pass, undefined);
  });

  it('computes the RTT overheads in ms', () => {
    assert.equal(line('relay-bare-relay p50Ms')?.value?.toFixed(3), '0.400');
    assert.equal(line('relay-bare-relay p50Ms')?.pass, false);
    assert.equal(line('direct-raw-tls p50Ms')?.value?.toFixed(3), '0.030');
  });

  it('checks only our relay against the memory target', () => {
    assert.equal(line('relay KiB/conn 1k')?.pass, true);
    assert.equal(line('relay KiB/conn 5k')?.pass, false);
    assert.equal(line('bare-relay KiB/conn 1k')?.pass, undefined);
    assert.equal(line('bare-relay KiB/conn 1k')?.target, '');
  });

  it('leaves a ratio unjudged when a row was skipped', () => {
    const skipped = results.map((r) => (r.name === 'ssh-L' ? row('ssh-L', null, null) : r));
    const l = computeTargets(skipped, []).find((x) => x.key === 'direct/ssh-L');
    assert.equal(l?.value, null);
    assert.equal(l?.pass, undefined);
  });
});

describe('formatting', () => {
  it('formats counts and numbers', () => {
    assert.equal(formatCount(1000), '1k');
    assert.equal(formatCount(5000), '5k');
    assert.equal(formatCount(1500), '1500');
    assert.equal(formatNumber(1234.5), '1235');
    assert.equal(formatNumber(12.345), '12.3');
    assert.equal(formatNumber(1.2345), '1.23');
    assert.equal(formatNumber(0.12345), '0.123');
    assert.equal(formatNumber(null), '-');
    assert.equal(formatNumber(Number.NaN), '-');
  });

  it('aligns columns: first left, the rest right', () => {
    assert.deepEqual(
      alignColumns([
        ['a', '1'],
        ['bbb', '22'],
      ]),
      ['a     1', 'bbb  22'],
    );
  });

  it('prints every row, every ratio with PASS/MISS, and the notes', () => {
    const text = formatReport(results, computeTargets(results, memory), ['ssh-L skipped']);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^path\s+MB\/s\s+p50 ms\s+p99 ms\s+setup ms$/);
    for (const r of results)
      assert.ok(
        lines.some((l) => l.startsWith(r.name)),
        r.name,
      );
    assert.ok(
      lines.some((l) => /^direct\/ssh-L\s+1\.20x\s+>= 1\.0x\s+PASS$/.test(l)),
      'lines.some((l) => /^direct\\/ssh-L\\s+1\\.20x\\s+>= 1\\.0x\\s+PASS$/.test(l))',
    );
    assert.ok(
      lines.some((l) => /^relay\/bare-relay\s+0\.500x\s+>= 0\.6x\s+MISS$/.test(l)),
      'lines.some((l) => /^relay\\/bare-relay\\s+0\\.500x\\s+>= 0\\.6x\\s+MISS$/.test(l))',
    );
    assert.ok(
      lines.some((l) => /^relay KiB\/conn 5k\s+20\.0 KiB\s+<= 16 KiB\s+MISS$/.test(l)),
      'lines.some((l) => /^relay KiB\\/conn 5k\\s+20\\.0 KiB\\s+<= 16 KiB\\s+MISS$/.test(l))',
    );
    assert.equal(lines.at(-1), 'note: ssh-L skipped');
  });

  it('prints n/a for a target whose inputs are missing', () => {
    const text = formatReport([row('direct', null, null)], computeTargets([row('direct', null, null)], []));
    assert.match(text, /^direct\/ssh-L\s+-\s+>= 1\.0x\s+n\/a$/m);
  });
});

describe('jsonReport', () => {
  it('has exactly results, ratios and which way each judged ratio is better, rounded, with null for what is missing', () => {
    const withSkip = [...results.slice(0, 5), row('ssh-L', null, null)];
    const doc = JSON.parse(jsonReport(withSkip, computeTargets(withSkip, memory))) as {
      results: Record<string, unknown>[];
      ratios: Record<string, unknown>;
      better: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(doc), ['results', 'ratios', 'better']);
    assert.deepEqual(Object.keys(doc.results[0]!), ['name', 'MBps', 'p50Ms', 'p99Ms', 'setupMs']);
    assert.equal(doc.results[5]!.MBps, null);
    assert.equal(doc.ratios['direct/ssh-L'], null);
    assert.equal(doc.ratios['relay/bare-relay'], 0.5);
    assert.equal(doc.ratios['relay-bare-relay p50Ms'], 0.4);
    assert.equal(doc.ratios['relay KiB/conn 1k'], 12);
    // Ratio lines with a target say which way is better; a figure in ms or KiB, or no target, does not.
    assert.equal(doc.better['direct/ssh-L'], 'higher');
    assert.equal(doc.better['relay-bare-relay p50Ms'], undefined);
    assert.equal(doc.better['direct/raw-tls'], undefined);
  });

  it('adds the emulated sections under profiles when given, after results, ratios and better', () => {
    const doc = JSON.parse(
      jsonReport([], [], { profiles: [{ name: 'lan', rows: [], ratios: {} }] }),
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc), ['results', 'ratios', 'better', 'profiles']);
    assert.deepEqual(doc.profiles, [{ name: 'lan', rows: [], ratios: {} }]);
  });

  it('ratiosObject rounds to three decimals', () => {
    assert.deepEqual(ratiosObject([{ key: 'k', value: 1 / 3, unit: 'x', target: '', pass: undefined }]), {
      k: 0.333,
    });
  });
});

describe('agent rows against OpenSSH (issue 4)', () => {
  const agentRows: BenchResult[] = [
    row('ssh-L', 200, 0.15),
    row('ssh-D', 100, 0.15),
    row('forward-direct', 250, 0.2),
    row('forward-relay', 90, 0.4),
    row('socks-direct', 50, 0.2),
    row('socks-relay', 40, 0.4),
    { name: 'term-echo-idle', MBps: null, p50Ms: 1, p99Ms: 4, setupMs: 500 },
    { name: 'term-echo-load', MBps: null, p50Ms: 3, p99Ms: 61, setupMs: null },
  ];
  const lines = computeTargets(agentRows, []);
  const line = (key: string) => lines.find((l) => l.key === key);

  it('compares forwards with ssh -L and SOCKS proxies with ssh -D (restated: >= 0.6x direct, >= 0.45x relay)', () => {
    assert.equal(line('forward-direct/ssh-L')?.value, 1.25);
    assert.equal(line('forward-direct/ssh-L')?.pass, true);
    assert.equal(line('forward-direct/ssh-L')?.target, '>= 0.6x');
    assert.equal(line('forward-relay/ssh-L')?.value, 0.45);
    assert.equal(line('forward-relay/ssh-L')?.pass, true);
    assert.equal(line('forward-relay/ssh-L')?.target, '>= 0.45x');
    assert.equal(line('socks-direct/ssh-D')?.value, 0.5);
    assert.equal(line('socks-direct/ssh-D')?.pass, false);
    assert.equal(line('socks-relay/ssh-D')?.value, 0.4);
    assert.equal(line('socks-relay/ssh-D')?.pass, false);
  });

  it('judges typing, start-up and setup times against their targets (lower is better)', () => {
    const rows: BenchResult[] = [
      { name: 'ssh-echo', MBps: null, p50Ms: 0.5, p99Ms: 1, setupMs: 300 },
      { name: 'term-echo-idle', MBps: null, p50Ms: 0.5, p99Ms: 5, setupMs: 400 },
      { name: 'term-echo-relay', MBps: null, p50Ms: 0.8, p99Ms: 6, setupMs: 400 },
      { name: 'node-start', MBps: null, p50Ms: 40, p99Ms: 50, setupMs: null },
      { name: 'cli-status', MBps: null, p50Ms: 120, p99Ms: 150, setupMs: null },
      { name: 'ssh-true', MBps: null, p50Ms: 300, p99Ms: 320, setupMs: null },
      { name: 'term-true', MBps: null, p50Ms: 330, p99Ms: 400, setupMs: null },
      { name: 'term-open', MBps: null, p50Ms: 100, p99Ms: 140, setupMs: null },
      { name: 'relay', MBps: 100, p50Ms: 0.3, p99Ms: 1, setupMs: 31 },
    ];
    const got = computeTargets(rows, []);
    const judged = (key: string) => {
      const l = got.find((x) => x.key === key);
      return [l?.value, l?.pass];
    };
    assert.deepEqual(judged('term-echo-idle/ssh-echo p50'), [1, true]);
    assert.equal(got.find((x) => x.key === 'term-echo-idle/ssh-echo p50')?.target, '<= 3.0x');
    assert.deepEqual(judged('term-echo-relay/ssh-echo p50'), [1.6, false]);
    assert.deepEqual(judged('cli-status/node-start p50'), [3, false]);
    assert.deepEqual(judged('term-true/ssh-true p50'), [1.1, false]);
    assert.deepEqual(judged('term-echo-idle p99Ms'), [5, true]);
    assert.deepEqual(judged('term-echo-relay p99Ms'), [6, false]);
    assert.deepEqual(judged('relay setupMs'), [31, false]);
    assert.deepEqual(judged('term-open p50Ms'), [100, true]);
  });

  it('shows the short-connection ratios with no target', () => {
    const rows: BenchResult[] = [row('ssh-L-short', 100, 1), row('forward-direct-short', 150, 1)];
    const l = computeTargets(rows, []).find((x) => x.key === 'forward-direct-short/ssh-L-short');
    assert.deepEqual([l?.value, l?.target, l?.pass], [1.5, '', undefined]);
  });

  it('judges the echo p99 under load against 50 ms', () => {
    assert.equal(line('term-echo-load p99Ms')?.value, 61);
    assert.equal(line('term-echo-load p99Ms')?.pass, false);
    const fast = agentRows.map((r) => (r.name === 'term-echo-load' ? { ...r, p99Ms: 50 } : r));
    assert.equal(computeTargets(fast, []).find((l) => l.key === 'term-echo-load p99Ms')?.pass, true);
  });

  it('leaves the agent targets unjudged when a row is missing and prints them as n/a', () => {
    const none = computeTargets([], []);
    for (const key of [
      'forward-direct/ssh-L',
      'forward-relay/ssh-L',
      'socks-direct/ssh-D',
      'socks-relay/ssh-D',
      'term-echo-load p99Ms',
    ]) {
      const l = none.find((x) => x.key === key);
      assert.equal(l?.value, null, key);
      assert.equal(l?.pass, undefined, key);
    }
    const text = formatReport([], none);
    assert.match(text, /^socks-relay\/ssh-D\s+-\s+>= 0\.45x\s+n\/a$/m);
    assert.match(text, /^term-echo-load p99Ms\s+-\s+<= 50 ms\s+n\/a$/m);
  });

  it('prints each agent’s CPU seconds per GiB beside ssh’s and sshd’s, with no target', () => {
    const withCpu: BenchResult[] = [
      { ...row('forward-direct', 250, 0.2), cpuSecondsPerGiB: { 'agent a': 2.75, 'agent b': 2.4 } },
      { ...row('ssh-L', 200, 0.15), cpuSecondsPerGiB: { ssh: 1.1, sshd: 1.3 } },
    ];
    const got = computeTargets(withCpu, []).filter((l) => l.unit === 's/GiB');
    assert.deepEqual(
      got.map((l) => [l.key, l.value, l.target, l.pass]),
      [
        ['forward-direct CPU agent a', 2.75, '', undefined],
        ['forward-direct CPU agent b', 2.4, '', undefined],
        ['ssh-L CPU ssh', 1.1, '', undefined],
        ['ssh-L CPU sshd', 1.3, '', undefined],
      ],
    );
    assert.match(formatReport(withCpu, got), /^forward-direct CPU agent a\s+2\.75 s\/GiB\s+-$/m);
  });

  it('prints the echo rows with MB/s as - and PASS/MISS for each ratio', () => {
    const text = formatReport(agentRows, lines);
    assert.match(text, /^term-echo-load\s+-\s+3\.00\s+61\.0\s+-$/m);
    assert.match(text, /^forward-direct\/ssh-L\s+1\.25x\s+>= 0\.6x\s+PASS$/m);
    assert.match(text, /^term-echo-load p99Ms\s+61\.0 ms\s+<= 50 ms\s+MISS$/m);
    const doc = JSON.parse(jsonReport(agentRows, lines)) as { ratios: Record<string, unknown> };
    assert.equal(doc.ratios['socks-direct/ssh-D'], 0.5);
    assert.equal(doc.ratios['term-echo-load p99Ms'], 61);
  });
});

describe('renderer-js size', () => {
  const size = (bytes: number | null) => ({
    name: 'renderer-js',
    bytes,
    gzipBytes: bytes && 200_000,
    files: 1,
  });

  it('judges the uncompressed JavaScript against 1,000,000 bytes and prints gzip beside it', () => {
    const lines = computeTargets([], [], [size(695_183)]);
    const raw = lines.find((l) => l.key === 'renderer-js bytes');
    assert.equal(raw?.value, 695_183);
    assert.equal(raw?.pass, true);
    assert.equal(lines.find((l) => l.key === 'renderer-js gzip bytes')?.pass, undefined);
    assert.equal(
      computeTargets([], [], [size(1_000_001)]).find((l) => l.key === 'renderer-js bytes')?.pass,
      false,
    );
    assert.equal(
      computeTargets([], [], [size(1_000_000)]).find((l) => l.key === 'renderer-js bytes')?.pass,
      true,
    );
    const text = formatReport([], lines, [], [size(695_183)]);
    assert.match(text, /^renderer-js\s+695183\s+200000\s+1$/m);
    assert.match(text, /^renderer-js bytes\s+695183 B\s+<= 1000000 B\s+PASS$/m);
    const doc = JSON.parse(jsonReport([], lines)) as { ratios: Record<string, unknown> };
    assert.equal(doc.ratios['renderer-js bytes'], 695_183);
    assert.equal(doc.ratios['renderer-js gzip bytes'], 200_000);
  });

  it('leaves the target unjudged when the renderer was not built', () => {
    const lines = computeTargets([], [], [size(null)]);
    assert.equal(lines.find((l) => l.key === 'renderer-js bytes')?.pass, undefined);
    assert.match(formatReport([], lines, [], [size(null)]), /^renderer-js\s+-\s+-\s+1$/m);
  });

  it('formats values with their unit, bytes as whole numbers', () => {
    assert.equal(formatValue(1.25, 'x'), '1.25x');
    assert.equal(formatValue(0.13, 'ms'), '0.130 ms');
    assert.equal(formatValue(695183.4, 'B'), '695183 B');
  });

  it('prints no ratio header when a run (--only) has no ratio', () => {
    const text = formatReport([row('raw-tcp', 100, 0.1)], []);
    assert.doesNotMatch(text, /^ratio/m);
    assert.equal(text.endsWith('\n'), false);
  });
});

describe('echo floors', () => {
  const echo = (name: string, p50Ms: number, p99Ms: number): BenchResult => ({
    name,
    MBps: null,
    p50Ms,
    p99Ms,
    setupMs: 300,
  });
  const find = (rows: BenchResult[], key: string) => computeTargets(rows, []).find((l) => l.key === key);

  it('shows what term and ssh add over the floor of their own process count, unjudged', () => {
    const rows = [
      echo('term-echo-idle', 3.4, 24.6),
      echo('ssh-echo', 1.3, 2.9),
      echo('echo-floor-4', 3.0, 20.1),
      echo('echo-floor-3', 1.6, 3.9),
    ];
    const idle50 = find(rows, 'term-echo-idle-echo-floor-4 p50Ms')!;
    assert.ok(Math.abs(idle50.value! - 0.4) < 1e-9, 'Math.abs(idle50.value! - 0.4) < 1e-9');
    assert.deepEqual([idle50.unit, idle50.target, idle50.pass], ['ms', '', undefined]);
    assert.ok(
      Math.abs(find(rows, 'term-echo-idle-echo-floor-4 p99Ms')!.value! - 4.5) < 1e-9,
      "Math.abs(find(rows, 'term-echo-idle-echo-floor-4 p99Ms')!.value! - 4.5) < 1e-9",
    );
    assert.ok(
      Math.abs(find(rows, 'ssh-echo-echo-floor-3 p50Ms')!.value! + 0.3) < 1e-9,
      'below its floor: negative',
    );
    assert.ok(
      Math.abs(find(rows, 'echo-floor per process p50Ms')!.value! - 1.4) < 1e-9,
      "Math.abs(find(rows, 'echo-floor per process p50Ms')!.value! - 1.4) < 1e-9",
    );
    // The rows' own targets are unchanged by the floors.
    assert.equal(find(rows, 'term-echo-idle p99Ms')?.pass, false);
  });

  it('prints no floor line when a floor row was not measured', () => {
    const rows = [echo('term-echo-idle', 3.4, 24.6), echo('echo-floor-4', 3.0, 20.1)];
    assert.ok(
      find(rows, 'term-echo-idle-echo-floor-4 p50Ms'),
      "find(rows, 'term-echo-idle-echo-floor-4 p50Ms')",
    );
    assert.equal(find(rows, 'ssh-echo-echo-floor-3 p50Ms'), undefined);
    assert.equal(find(rows, 'echo-floor per process p50Ms'), undefined);
    assert.equal(find([], 'term-echo-idle-echo-floor-4 p50Ms'), undefined);
  });
});

describe('issue 30 rows: reverse forwards, routes, UDP', () => {
  const judged = (rows: BenchResult[], key: string) => {
    const l = computeTargets(rows, []).find((x) => x.key === key);
    return l && [l.value, l.target, l.pass];
  };

  it('compares the reverse forward with the local forward of the same run (>= 0.9x)', () => {
    const rows = [row('forward-direct', 500, 0.2), row('reverse-direct', 460, 0.2)];
    assert.deepEqual(judged(rows, 'reverse-direct/forward-direct'), [0.92, '>= 0.9x', true]);
    const slow = [row('forward-direct', 500, 0.2), row('reverse-direct', 400, 0.2)];
    assert.equal(judged(slow, 'reverse-direct/forward-direct')?.[2], false);
  });

  it('gives the echo a 2-hop route adds per hop over a direct peer (<= 1 ms)', () => {
    const echo = (name: string, p50Ms: number): BenchResult => ({
      name,
      MBps: null,
      p50Ms,
      p99Ms: p50Ms * 2,
      setupMs: 200,
    });
    const rows = [echo('chain-echo-direct', 2.5), echo('chain-echo-2hops', 4.1)];
    const [value, target, pass] = judged(rows, 'chain-echo per hop p50Ms')!;
    assert.ok(Math.abs((value as number) - 0.8) < 1e-9, 'Math.abs((value as number) - 0.8) < 1e-9');
    assert.deepEqual([target, pass], ['<= 1 ms', true]);
    assert.equal(
      judged([echo('chain-echo-direct', 2), echo('chain-echo-2hops', 4.4)], 'chain-echo per hop p50Ms')?.[2],
      false,
    );
    assert.equal(judged([echo('chain-echo-direct', 2)], 'chain-echo per hop p50Ms')?.[2], undefined);
  });

  it('prints the UDP control beside the forward, with no target of its own', () => {
    const udp = (name: string, datagramsPerS: number, lossPct: number): BenchResult => ({
      ...row(name, (datagramsPerS * 1200) / 1e6, null),
      datagramsPerS,
      lossPct,
    });
    const rows = [udp('udp-raw', 50_000, 0), udp('udp-direct', 45_000, 10)];
    assert.deepEqual(judged(rows, 'udp-raw loss'), [0, '', undefined]);
    assert.deepEqual(judged(rows, 'udp-raw datagrams/s'), [50_000, '', undefined]);
    assert.deepEqual(judged(rows, 'udp-direct datagrams/s'), [45_000, '>= 50000 dg/s', false]);
    assert.deepEqual(judged(rows, 'udp-direct loss'), [10, '< 0.1 %', false]);
    assert.equal(judged(rows, 'udp-direct offered')?.[2], undefined, 'not measured: not judged');
  });

  it('says when the UDP sender could not offer the target rate', () => {
    const udp = (skipped: number): BenchResult => ({
      ...row('udp-direct', 60, null),
      datagramsPerS: 49_000,
      lossPct: 0,
      offeredPerS: 49_000,
      skipped,
    });
    assert.deepEqual(judged([udp(3000)], 'udp-direct offered'), [49_000, '50000 dg/s, none skipped', false]);
    assert.equal(judged([udp(0)], 'udp-direct offered')?.[2], true);
  });
});
