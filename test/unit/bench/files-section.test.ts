/** The files section's report (bench/files-section.ts): sizes, medians, ratios and verdicts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
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
