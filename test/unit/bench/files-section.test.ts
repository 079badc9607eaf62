/** The files section's report (bench/files-section.ts): sizes, medians, ratios and verdicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  benchCpuSeconds,
  statCpu,
  filesJson,
  filesLines,
  filesSizes,
  formatFilesSection,
  type FilesFigures,
} from '../../../bench/files-section.js';

test('the issue sizes by default, smaller with --quick or the env', () => {
  const full = filesSizes([], {});
  assert.equal(full.bigBytes, 1024 ** 3);
  assert.equal(full.smallCount, 10_000);
  assert.equal(full.smallBytes, 1024);
  assert.equal(full.longFatBytes, 256 * 1024 ** 2);
  assert.equal(full.quick, false);
  assert.ok(
    filesSizes(['--quick'], {}).bigBytes < full.bigBytes,
    "filesSizes(['--quick'], {}).bigBytes < full.bigBytes",
  );
  assert.equal(filesSizes([], { CLAWBRIDGE_BENCH_FILES_QUICK: '1' }).quick, true);
});

test('throughput ratios for big and long-fat, time ratios for small files, each against its target', () => {
  const f: FilesFigures = {
    sizes: filesSizes([], {}),
    seconds: {
      'send-big': [10, 8], // median 9
      'scp-big': [6],
      'send-small': [4],
      'scp-r-small': [10],
      'tar-ssh-small': [2],
      'send-long-fat': [5],
      'scp-long-fat': [12],
    },
    skipped: {},
  };
  const lines = filesLines(f);
  assert.deepEqual(
    lines.map((l) => [l.value, l.verdict]),
    [
      [6 / 9, 'PASS'],
      [0.4, 'PASS'],
      [2, 'MISS'],
      [12 / 5, 'PASS'],
    ],
  );
  const text = formatFilesSection(f, ['load 3']);
  assert.match(text, /file send, big file +9\.00 s +119\.3 MB\/s +\(10\.00, 8\.00\)/);
  assert.match(text, /file send \/ tar \| ssh, small files \(time\) +2\.00x +target <= 1\.5x +MISS/);
  assert.match(text, /note: load 3/);
  const json = filesJson(f);
  assert.equal((json.seconds as Record<string, number>)['send-big'], 9);
});

test('a skipped contender reads n/a with why, and its ratios n/a', () => {
  const f: FilesFigures = {
    sizes: filesSizes(['--quick'], {}),
    seconds: { 'send-small': [3] },
    skipped: { 'tar-ssh-small': 'failed: no tar' },
  };
  const text = formatFilesSection(f, []);
  assert.match(text, /tar c \| ssh tar x, small files +n\/a \(failed: no tar\)/);
  assert.match(text, /file send \/ tar \| ssh, small files \(time\) +n\/a +target <= 1\.5x +n\/a/);
  assert.match(text, /--quick sizes/);
});

test('CPU seconds per GiB beside each row, and under cpuSeconds in --json', () => {
  const f: FilesFigures = {
    sizes: filesSizes([], {}),
    seconds: { 'send-big': [4, 5, 6], 'scp-big': [3], 'send-small': [2] },
    cpu: { 'send-big': [7, 5, 6], 'scp-big': [2.5], 'send-small': [1.5] },
    skipped: {},
  };
  const text = formatFilesSection(f, []);
  assert.match(text, /file send, big file +5\.00 s +214\.7 MB\/s +CPU 6\.00 s\/GiB +\(4\.00/);
  assert.match(text, /scp, big file +3\.00 s +357\.9 MB\/s +CPU 2\.50 s\/GiB/);
  assert.match(text, /file send, small files +2\.00 s +[0-9.]+ MB\/s +CPU 1\.50 s +\(2\.00\)/);
  assert.doesNotMatch(text, /scp -r, small files.*CPU/, 'no CPU where none was measured');
  assert.equal((filesJson(f).cpuSeconds as Record<string, number | null>)['send-big'], 6);
});

test("a /proc stat line: its parent, own CPU and its reaped children's, a name with spaces and parentheses", () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  const line = '4242 (a (b) c) S 17 4242 4242 0 -1 4194304 10 0 0 0 250 50 1200 300 20 0';
  assert.deepEqual(statCpu(line), { ppid: 17, own: 3, reaped: 15 });
});

test(
  "the CPU of a child that ended counts in the bench's CPU seconds",
  { skip: process.platform !== 'linux' },
  async () => {
    const before = benchCpuSeconds();
    assert.ok(before !== null, 'benchCpuSeconds reads /proc on Linux');
    // ~0.3 s of CPU in a child that is waited for (as the CLI and scp are).
    const child = spawn(process.execPath, [
      '-e',
      'const e = process.cpuUsage(); while (process.cpuUsage(e).user < 3e5) {}',
    ]);
    await once(child, 'exit');
    const after = benchCpuSeconds();
    assert.ok(after !== null, 'benchCpuSeconds reads /proc after');
    assert.ok(after - before >= 0.25, `the child's ~0.3 CPU-s counted: ${after - before}`);
  },
);
