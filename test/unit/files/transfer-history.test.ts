/**
 * The kept list of ended transfers (transfer-history.ts): bounded per direction, names and reasons a
 * peer chose cut to size, read back after a "restart", and a damaged file read as an empty list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import {
  HISTORY_KEPT,
  HISTORY_NAMES,
  HISTORY_WHY_CHARS,
  TransferHistory,
} from '../../../src-main/files/transfer-history.js';

const transfer = (n: number, patch: Partial<TransferInfo> = {}): TransferInfo => ({
  id: n.toString(16).padStart(32, '0'),
  direction: 'in',
  peer: { name: 'b', fingerprint: 'ab'.repeat(32) },
  state: 'done',
  files: 1,
  bytes: 10,
  filesDone: 1,
  bytesDone: 10,
  rate: 0,
  names: ['a.txt'],
  startedAt: '2026-01-01T00:00:00.000Z',
  ...patch,
});

test('keeps the newest HISTORY_KEPT ended transfers a direction, cut to size, and reads them back', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cb-history-')), 'transfers.json');
  const h = new TransferHistory(file);
  h.record(transfer(1, { state: 'sending' }));
  assert.equal(h.list().length, 0, 'a moving transfer is not kept');
  for (let i = 1; i <= HISTORY_KEPT + 5; i++) h.record(transfer(i));
  h.record(transfer(100_000, { direction: 'out' }));
  const names = Array.from({ length: 1000 }, (_, i) => `n${i}`);
  h.record(transfer(100_001, { state: 'failed', why: 'x'.repeat(10_000), names }));
  h.flush();
  const back = new TransferHistory(file);
  await back.load();
  const list = back.list();
  assert.equal(list.filter((t) => t.direction === 'in').length, HISTORY_KEPT);
  assert.equal(list.filter((t) => t.direction === 'out').length, 1);
  assert.equal(back.get(transfer(1).id), undefined, 'the oldest went first');
  const failed = back.get(transfer(100_001).id)!;
  assert.equal(failed.names.length, HISTORY_NAMES);
  assert.equal(failed.why?.length, HISTORY_WHY_CHARS);
  assert.ok(readFileSync(file, 'utf8').length < 200_000, "readFileSync(file, 'utf8').length < 200_000");
});

test('a damaged or foreign file is an empty list; a bad entry is left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-history-'));
  const file = join(dir, 'transfers.json');
  writeFileSync(file, '{not json');
  const h = new TransferHistory(file);
  await h.load();
  assert.deepEqual(h.list(), []);
  writeFileSync(file, JSON.stringify([transfer(1), { ...transfer(2), id: '../x' }, 42]));
  const h2 = new TransferHistory(file);
  await h2.load();
  assert.deepEqual(
    h2.list().map((t) => t.id),
    [transfer(1).id],
  );
});
