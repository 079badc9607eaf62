/**
 * What scripts/run-tests.mjs reports of each file's cost: the CPU of its reaped process tree read from
 * /proc, split between files reaped one by one, and the ten slowest by wall time and by CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  SLOWEST,
  cpuLedger,
  reapedCpuReader,
  reapedTicks,
  slowestReport,
} from '../../../scripts/test-costs.mjs';

/** A stat line whose fields 3.. are numbered by position, cutime (16) and cstime (17) given. */
const stat = (comm: string, cutime: number, cstime: number): string => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[16 - 3] = String(cutime);
  fields[17 - 3] = String(cstime);
  fields[0] = 'S';
  return `4242 (${comm}) ${fields.join(' ')}\n`;
};

test('the reaped children ticks are cutime + cstime, counted from the last parenthesis of the name', () => {
  assert.equal(reapedTicks(stat('node', 120, 30)), 150);
  assert.equal(reapedTicks(stat('a) b (c', 7, 5)), 12, 'a name with spaces and parentheses');
  assert.throws(() => reapedTicks('garbage'), /not a \/proc stat line/);
});

test('on Linux the reader rises by what a reaped child spent', { skip: process.platform !== 'linux' }, () => {
  const read = reapedCpuReader();
  assert.ok(read, 'there is a reader on Linux');
  assert.equal(
    reapedTicks(readFileSync('/proc/self/stat', 'utf8')) >= 0,
    true,
    'this process reads its own line',
  );
  const before = read();
  // 0.3 s of CPU (not of wall time: on a loaded machine that would be less) in a child this process
  // waits for (spawnSync reaps it).
  const busy =
    'const u = () => { const c = process.cpuUsage(); return c.user + c.system; }; while (u() < 300_000);';
  const r = spawnSync(process.execPath, ['-e', busy]);
  assert.equal(r.status, 0, 'the busy child ran');
  const rose = read() - before;
  assert.ok(rose >= 0.29 && rose < 5, `the reaped CPU rose by the child's 0.3 s and its start: ${rose}`);
});

test('files reaped one by one each get their own rise; one pass counts all in the first', () => {
  const ledger = cpuLedger(10);
  assert.deepEqual(ledger.reaped('a', 12.5, 1), { cpu: 2.5, reapedWith: [] });
  assert.deepEqual(ledger.reaped('b', 13, 2), { cpu: 0.5, reapedWith: [] });
  const c = ledger.reaped('c', 20, 3);
  const d = ledger.reaped('d', 20, 3);
  assert.equal(c.cpu, 7, 'the first of the pass holds both');
  assert.deepEqual(c.reapedWith, ['d']);
  assert.equal(d.cpu, 0);
  assert.equal(d.countedIn, 'c');
  assert.deepEqual(ledger.reaped('e', 21, 4), { cpu: 1, reapedWith: [] }, 'the next turn is its own');
});

test('the report lists the ten slowest by wall time and the ten by CPU, each the greatest first', () => {
  const costs = Array.from({ length: 14 }, (_, i) => ({
    name: `f${i}`,
    seconds: i,
    cpu: 100 - i,
  }));
  const lines = slowestReport(costs);
  assert.equal(lines.length, 2 + 2 * SLOWEST, 'two headings and ten lines under each');
  assert.match(lines[0]!, /the 10 slowest files by wall time/);
  assert.equal(lines[1], '  f13: 13.0 s wall, 87.0 s CPU');
  assert.equal(lines[10], '  f4: 4.0 s wall, 96.0 s CPU');
  const cpuHead = lines[1 + SLOWEST]!;
  assert.match(cpuHead, /the 10 slowest files by CPU \(all files: 1309 CPU s\)/);
  assert.equal(lines[2 + SLOWEST], '  f0: 0.0 s wall, 100.0 s CPU');
});

test('the report says which files share a figure, and says so when CPU was not measured', () => {
  const lines = slowestReport([
    { name: 'a', seconds: 3, cpu: 9, reapedWith: ['b'] },
    { name: 'b', seconds: 2, cpu: 0, countedIn: 'a' },
  ]);
  assert.ok(lines.includes('  a: 3.0 s wall, 9.0 s CPU (reaped with b)'), lines.join('\n'));
  assert.ok(lines.includes("  b: 2.0 s wall, CPU counted in a's"), lines.join('\n'));
  const unmeasured = slowestReport([{ name: 'a', seconds: 1, cpu: undefined }]);
  assert.deepEqual(unmeasured, [
    'the 1 slowest files by wall time:',
    '  a: 1.0 s wall, CPU not measured',
    '(CPU per file is read from /proc: not measured here)',
  ]);
});
