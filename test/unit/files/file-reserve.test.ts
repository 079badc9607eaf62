/**
 * What an offer costs the receiver (files/file-receiver.ts, file-store.ts), from a sender writing frames
 * by hand: offers that arrive together are each told the disk the others were promised (the reserve
 * stays free); an offer's names and entries count against the quota, not only its bytes; and the offers
 * held in memory at once are bounded (one past the budget is refused BUSY, to be tried again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { FileChannel } from '../../../src-main/files/file-channel.js';
import { FileReceiver } from '../../../src-main/files/file-receiver.js';
import { FileStore, type FileStoreOptions } from '../../../src-main/files/file-store.js';
import type { FileFrame, OfferEntry } from '../../../src-main/protocol/file-frames.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PEER = { fingerprint: 'ef'.repeat(32), name: 'a' };
const MiB = 1024 ** 2;

async function setup(opts: FileStoreOptions, offersHeldBytes?: number) {
  const store = new FileStore(tempDir('cb-reserve-'), opts);
  await store.open();
  return { store, receiver: new FileReceiver(store, { offersHeldBytes }) };
}

/** Offers `entries` as transfer `id`; resolves with the first answer (WANT or REFUSE). */
async function offer(r: FileReceiver, id: string, entries: OfferEntry[]): Promise<FileFrame> {
  const pair = duplexPair();
  let answer: (f: FileFrame) => void = () => undefined;
  const answered = new Promise<FileFrame>((resolve) => (answer = resolve));
  const channel = new FileChannel(pair.a, (f) => {
    if (f.type === 'want' || f.type === 'refuse') answer(f);
  });
  r.serve(pair.b, PEER);
  channel.send({ type: 'offer', id, entries, more: false });
  return answered;
}

const big = (name: string, size: number): OfferEntry => ({
  path: name,
  kind: 'file',
  size,
  exec: false,
  sha256: '0'.repeat(64),
});

test('offers that arrive together are each told the disk the others were promised', async () => {
  const probe = await setup({});
  const free = await probe.store.freeBytes();
  // 150 MiB above the reserve: one 100 MiB offer fits, two do not.
  const { receiver } = await setup({ diskReserveBytes: free - 150 * MiB });
  const answers = await Promise.all(
    ['1', '2', '3', '4'].map((d) => offer(receiver, d.repeat(32), [big(`f${d}`, 100 * MiB)])),
  );
  const wanted = answers.filter((f) => f.type === 'want');
  const refused = answers.filter((f) => f.type === 'refuse');
  assert.equal(wanted.length, 1, JSON.stringify(answers));
  assert.equal(refused.length, 3);
  for (const f of refused) {
    assert.equal(f.type === 'refuse' && f.code, 'NO_SPACE');
    assert.match(f.type === 'refuse' ? f.reason : '', /promised to transfers arriving/);
  }
});

test('an offer of many tiny files counts its entries and names against the quota, not only its bytes', async () => {
  const { store, receiver } = await setup({ diskReserveBytes: 0, peerQuotaBytes: 16 * MiB });
  // 10,000 one-byte files: 10 kB of bytes, ~40 MiB on a disk and ~1.5 MB of names.
  const sha = createHash('sha256').update('x').digest('hex');
  const entries: OfferEntry[] = Array.from({ length: 10_000 }, (_, i) => ({
    path: `file-${i}-${'n'.repeat(100)}`,
    kind: 'file',
    size: 1,
    exec: false,
    sha256: sha,
  }));
  const f = await offer(receiver, 'a'.repeat(32), entries);
  assert.equal(f.type, 'refuse', JSON.stringify(f).slice(0, 200));
  assert.equal(f.type === 'refuse' && f.code, 'QUOTA');
  assert.deepEqual(readdirSync(store.staging), [], 'nothing written');
});

test('offers held in memory at once are bounded: one past the budget is refused BUSY', async () => {
  const { receiver } = await setup({ diskReserveBytes: 0 }, 1 * MiB);
  const entries = (tag: string): OfferEntry[] =>
    Array.from({ length: 4000 }, (_, i) => big(`${tag}-${i}-${'n'.repeat(100)}`, 1));
  // ~600 kB of JSON each: the first is held (its transfer runs), the second would pass 1 MiB.
  const first = await offer(receiver, 'b'.repeat(32), entries('b'));
  assert.equal(first.type, 'want');
  const second = await offer(receiver, 'c'.repeat(32), entries('c'));
  assert.equal(second.type === 'refuse' && second.code, 'BUSY', JSON.stringify(second).slice(0, 200));
});
