/**
 * Names the receiving disk cannot hold (files/write-tree.ts), from a sender writing frames by hand: an
 * entry whose name is longer than the disk takes is skipped alone, with what lies under it, each named
 * in the inbox entry and in `file get`'s answer; the rest of the transfer arrives. And a sender of the
 * release before (files protocol 2) is answered in its own version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileChannel } from '../../../src-main/files/file-channel.js';
import { FileReceiver } from '../../../src-main/files/file-receiver.js';
import { FileStore } from '../../../src-main/files/file-store.js';
import { moveOut } from '../../../src-main/files/move-out.js';
import type { FileFrame, FilesVersion, OfferEntry } from '../../../src-main/protocol/file-frames.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PEER = { fingerprint: '12'.repeat(32), name: 'a' };
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const file = (path: string, body: string): OfferEntry => ({
  path,
  kind: 'file',
  size: body.length,
  exec: false,
  sha256: sha(body),
});

/** Sends `entries` (each file's body is its path) in `version`; the frames that came back, raw. */
async function send(r: FileReceiver, entries: OfferEntry[], version: FilesVersion = 3) {
  const pair = duplexPair();
  const chunks: Buffer[] = [];
  pair.a.on('data', (c: Buffer) => chunks.push(c));
  let done: (f: FileFrame) => void = () => undefined;
  const ended = new Promise<FileFrame>((resolve) => (done = resolve));
  const channel = new FileChannel(
    pair.a,
    (f) => {
      if (f.type === 'complete' || f.type === 'refuse') done(f);
    },
    undefined,
    version,
  );
  r.serve(pair.b, PEER, version);
  channel.send({ type: 'offer', id: '9'.repeat(32), entries, more: false });
  for (const [index, e] of entries.entries()) {
    if (e.kind === 'file') channel.send({ type: 'data', index, offset: 0, bytes: Buffer.from(e.path) });
  }
  return { end: await ended, chunks };
}

test('a name longer than the disk takes is skipped alone (and what lies under it); the rest arrives', async () => {
  const store = new FileStore(tempDir('cb-skip-home-'), { diskReserveBytes: 0 });
  await store.open();
  const long = 'x'.repeat(300);
  const entries: OfferEntry[] = [
    { path: 'd', kind: 'dir' },
    file('d/ok.txt', 'd/ok.txt'),
    file(`d/${long}.txt`, `d/${long}.txt`),
    { path: `d/${long}`, kind: 'dir' },
    file(`d/${long}/under.txt`, `d/${long}/under.txt`),
  ];
  const { end } = await send(new FileReceiver(store), entries);
  assert.equal(end.type, 'complete', JSON.stringify(end).slice(0, 300));
  const [meta] = await store.list();
  assert.deepEqual(meta?.skipped?.map((s) => s.path).sort(), [
    `d/${long}`,
    `d/${long}.txt`,
    `d/${long}/under.txt`,
  ]);
  const out = tempDir('cb-skip-out-');
  const got = await moveOut(store, [meta], out, 'rename');
  assert.equal(got.notKept.length, 3);
  assert.deepEqual(readdirSync(join(out, 'd')), ['ok.txt']);
  assert.equal(readFileSync(join(out, 'd', 'ok.txt'), 'utf8'), 'd/ok.txt');
});

test('a sender speaking files protocol 2 is answered in 2', async () => {
  const store = new FileStore(tempDir('cb-skip-home-'), { diskReserveBytes: 0 });
  await store.open();
  const { end, chunks } = await send(new FileReceiver(store), [file('f', 'f')], 2);
  assert.equal(end.type, 'complete');
  const all = Buffer.concat(chunks);
  // Every frame back: a u32 length, then the version byte.
  for (let at = 0; at < all.length; at += 4 + all.readUInt32BE(at)) assert.equal(all[at + 4], 2);
});
