/**
 * `clawbridge file …`'s pure parts: the progress line (bar, percent, bytes, rate, ETA, files), the
 * clock it words ETA with, `--conflict`, and the table `file list` prints (names shown escaped).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import {
  clock,
  parseConflict,
  progressLine,
  receivedTable,
} from '../../../src-main/files/cli/file-commands.js';

const transfer = (over: Partial<TransferInfo>): TransferInfo => ({
  id: '0'.repeat(32),
  direction: 'out',
  peer: { name: 'b', fingerprint: 'f'.repeat(64) },
  state: 'sending',
  files: 4,
  bytes: 100 * 1024 * 1024,
  filesDone: 1,
  bytesDone: 25 * 1024 * 1024,
  rate: 5 * 1024 * 1024,
  names: ['tree'],
  startedAt: '2026-11-27T06:00:00.000Z',
  ...over,
});

test('the progress line: bar, percent, bytes, rate, ETA and files', () => {
  const line = progressLine(transfer({}), 8);
  assert.match(
    line,
    /^\[##------\] {2}25% {2}25\.0 MiB\/100\.0 MiB {2}5\.0 MiB\/s {2}ETA 0:15 {2}files 1\/4$/,
  );
  assert.match(progressLine(transfer({ rate: 0 }), 8), /- {2}ETA -/);
  assert.match(
    progressLine(transfer({ bytes: 0, bytesDone: 0, files: 0, filesDone: 0 }), 4),
    /^\[####\] 100%/,
  );
});

test('ETA as m:ss or h:mm:ss', () => {
  assert.equal(clock(0), '0:00');
  assert.equal(clock(75.4), '1:15');
  assert.equal(clock(3 * 3600 + 61), '3:01:01');
});

test('--conflict takes rename, overwrite or skip; rename by default', () => {
  assert.equal(parseConflict(undefined), 'rename');
  assert.equal(parseConflict('skip'), 'skip');
  assert.throws(() => parseConflict('merge'), /--conflict takes rename, overwrite, skip, got 'merge'/);
});

test('file list: one row per transfer that arrived, names escaped', () => {
  const text = receivedTable([
    {
      id: '2026-11-27-06-00-00-abcdef',
      from: { name: 'a', fingerprint: 'a'.repeat(64) },
      receivedAt: '2026-11-27T06:00:00.000Z',
      files: 3,
      bytes: 2048,
      names: ['x\u001b[31my', 'plain'],
      treeHash: '0'.repeat(64),
      renamed: [],
    },
  ]);
  assert.match(text, /2026-11-27-06-00-00-abcdef +a +x\\u001b\[31my, plain +3 +2\.0 KiB/);
  assert.ok(!text.includes(String.fromCharCode(27)), 'no raw escape character');
  assert.match(receivedTable([]), /nothing received/);
});
