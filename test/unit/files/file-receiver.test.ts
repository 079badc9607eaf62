/**
 * The receiving side of the `files` service (files/file-receiver.ts) over an in-memory stream pair,
 * frames written by hand as a hostile or unlucky sender would: each refusal (a name, the quota, the
 * disk's reserve) says why and leaves nothing in staging or the inbox; a file whose bytes do not match
 * its SHA-256 is thrown away and the sender told; a resumed offer is answered with what staging holds;
 * `file get`'s move-out renames on conflict.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClawError } from '../../../src-main/core/errors.js';
import { FileChannel } from '../../../src-main/files/file-channel.js';
import { FileReceiver } from '../../../src-main/files/file-receiver.js';
import { createFiles } from '../../../src-main/files/file-service.js';
import { FileStore, STAGING_KEEP_MS, type FileStoreOptions } from '../../../src-main/files/file-store.js';
import { moveOut } from '../../../src-main/files/move-out.js';
import { treeHash } from '../../../src-main/files/tree-walk.js';
import {
  encodeFileFrame,
  FILES_OPEN_ARGS,
  type FileFrame,
  type OfferEntry,
} from '../../../src-main/protocol/file-frames.js';
import { encodeLengthPrefixed } from '../../../src-main/protocol/length-prefixed.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { until, sleep } from '../../helpers/wait.js';

const PEER = { fingerprint: 'ab'.repeat(32), name: 'a' };
const ID = '0123456789abcdef0123456789abcdef';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function receiver(opts: FileStoreOptions = {}) {
  const home = mkdtempSync(join(tmpdir(), 'cb-recv-'));
  const store = new FileStore(home, { diskReserveBytes: 0, ...opts });
  await store.open();
  return { store, receiver: new FileReceiver(store) };
}

/** A sender end: frames out, the frames that come back, and the session's end. */
function connect(r: FileReceiver) {
  const pair = duplexPair();
  const got: FileFrame[] = [];
  const waiters: Array<() => void> = [];
  const channel = new FileChannel(pair.a, (f) => {
    if (f.type === 'data-parts') return;
    got.push(f);
    for (const w of waiters.splice(0)) w();
  });
  const session = r.serve(pair.b, PEER);
  const next = async (type: FileFrame['type']): Promise<FileFrame> => {
    for (;;) {
      const f = got.find((x) => x.type === type);
      if (f) return f;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { channel, session, got, next, pair };
}

const nothingLeft = (store: FileStore) => {
  assert.deepEqual(readdirSync(store.staging), [], 'staging');
  assert.deepEqual(readdirSync(store.inbox), [], 'inbox');
};

test('a name outside the inbox is refused with why, and nothing is written', async () => {
  const { store, receiver: r } = await receiver();
  const s = connect(r);
  const entries: OfferEntry[] = [
    { path: 'ok.txt', kind: 'file', size: 1, exec: false, sha256: sha(Buffer.from('x')) },
    { path: 'x/../../evil', kind: 'file', size: 1, exec: false, sha256: sha(Buffer.from('x')) },
  ];
  s.channel.send({ type: 'offer', id: ID, entries, more: false });
  const refused = await s.next('refuse');
  assert.equal(refused.type === 'refuse' && refused.code, 'BAD_NAME');
  assert.match(
    refused.type === 'refuse' ? refused.reason : '',
    /"x\/\.\.\/\.\.\/evil" has a '\.\.' component.*nothing was written/,
  );
  nothingLeft(store);
});

test('over the quota or into the disk reserve: refused with the numbers, nothing written', async () => {
  for (const [opts, code, words] of [
    [{ peerQuotaBytes: 100 }, 'QUOTA', /may keep at most 100 bytes here/],
    [{ diskReserveBytes: Number.MAX_SAFE_INTEGER }, 'NO_SPACE', /not enough free disk/],
  ] as const) {
    const { store, receiver: r } = await receiver(opts);
    const s = connect(r);
    s.channel.send({
      type: 'offer',
      id: ID,
      entries: [{ path: 'big', kind: 'file', size: 1000, exec: false, sha256: '0'.repeat(64) }],
      more: false,
    });
    const refused = await s.next('refuse');
    assert.equal(refused.type === 'refuse' && refused.code, code);
    assert.match(refused.type === 'refuse' ? refused.reason : '', words);
    nothingLeft(store);
  }
});

test('bytes that do not match their SHA-256: thrown away, the sender told, nothing in the inbox', async () => {
  const { store, receiver: r } = await receiver();
  const s = connect(r);
  const body = Buffer.from('the real bytes');
  s.channel.send({
    type: 'offer',
    id: ID,
    entries: [{ path: 'f', kind: 'file', size: body.length, exec: false, sha256: sha(body) }],
    more: false,
  });
  await s.next('want');
  s.channel.send({ type: 'data', index: 0, offset: 0, bytes: Buffer.from('the fake bytes') });
  const failed = await s.next('failed');
  assert.match(failed.type === 'failed' ? failed.reason : '', /did not match its SHA-256/);
  await s.session.settled;
  assert.deepEqual(readdirSync(store.inbox), []);
  assert.deepEqual(
    readdirSync(join(store.stagingDir(PEER.fingerprint, ID), 'd')),
    [],
    'the bad file is gone',
  );
});

test('a transfer the sender cancels (its stream reset with CANCELLED) is cancelled here, not failed', async () => {
  const { store, receiver: r } = await receiver();
  const s = connect(r);
  const body = Buffer.alloc(64 * 1024, 7);
  s.channel.send({
    type: 'offer',
    id: ID,
    entries: [{ path: 'big', kind: 'file', size: body.length, exec: false, sha256: sha(body) }],
    more: false,
  });
  await s.next('want');
  s.channel.send({ type: 'data', index: 0, offset: 0, bytes: body.subarray(0, 1024) });
  s.pair.b.destroy(
    new ClawError('STREAM_RESET', 'files stream 6 was reset by the peer: cancelled by the owner', {
      refusal: 'CANCELLED',
      peerReason: 'cancelled by the owner',
    }),
  );
  await s.session.settled;
  assert.equal(s.session.view.state, 'cancelled');
  assert.equal(s.session.view.why, 'cancelled by a: cancelled by the owner');
  assert.deepEqual(readdirSync(store.inbox), [], 'nothing in the inbox');
});

test('an offer seen before is answered with what staging holds; the rest completes it', async () => {
  const { store, receiver: r } = await receiver();
  const body = Buffer.alloc(300_000, 7);
  const entries: OfferEntry[] = [
    { path: 'd', kind: 'dir' },
    { path: 'd/f', kind: 'file', size: body.length, exec: true, sha256: sha(body) },
    { path: 'd/empty', kind: 'file', size: 0, exec: false, sha256: sha(Buffer.alloc(0)) },
    { path: 'd/l', kind: 'link', target: 'f' },
  ];
  const first = connect(r);
  first.channel.send({ type: 'offer', id: ID, entries, more: false });
  await first.next('want');
  first.channel.send({ type: 'data', index: 1, offset: 0, bytes: body.subarray(0, 100_000) });
  // The path dies; a new stream offers the same transfer.
  await until('the first 100 000 bytes taken', () => first.session.view.bytesDone >= 100_000);
  first.pair.cut(new Error('link died'));
  await first.session.settled;
  const second = connect(r);
  second.channel.send({ type: 'offer', id: ID, entries, more: false });
  const want = await second.next('want');
  assert.deepEqual(want.type === 'want' && want.have, [
    [1, 100_000],
    [2, 0],
  ]);
  second.channel.send({ type: 'data', index: 1, offset: 100_000, bytes: body.subarray(100_000) });
  const done = await second.next('complete');
  assert.equal(done.type, 'complete');
  const [meta] = await store.list();
  assert.deepEqual(meta?.top, ['d']);
  assert.deepEqual(readFileSync(join(store.treeOf(meta.id), 'd', 'f')), body);
  assert.deepEqual(readdirSync(store.staging), [], 'staging emptied');
  // A sender that missed COMPLETE is told again.
  const third = connect(r);
  third.channel.send({ type: 'offer', id: ID, entries, more: false });
  const again = await third.next('complete');
  assert.equal(again.type === 'complete' && again.received, meta.id);
  // Moved out: a name that exists is renamed.
  const out = mkdtempSync(join(tmpdir(), 'cb-out-'));
  mkdirSync(join(out, 'd'));
  writeFileSync(join(out, 'd', 'keep'), 'mine');
  const moved = await moveOut(store, [meta], out, 'rename');
  assert.deepEqual(
    moved.moved.map((m) => m.to),
    [join(out, 'd (1)')],
  );
  assert.deepEqual(readdirSync(join(out, 'd (1)')).sort(), ['empty', 'f', 'l']);
  assert.deepEqual(await store.list(), []);
});

test('a staging folder unchanged for 30 days is removed when the store opens; a recent one stays', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-recv-'));
  const store = new FileStore(home);
  await store.open();
  const old = store.stagingDir(PEER.fingerprint, ID);
  const recent = store.stagingDir(PEER.fingerprint, 'f'.repeat(32));
  for (const dir of [old, recent]) {
    mkdirSync(join(dir, 'd'), { recursive: true });
    writeFileSync(join(dir, 'd', '0'), 'part');
  }
  const aged = new Date(Date.now() - STAGING_KEEP_MS - 60_000);
  for (const p of [old, join(old, 'd'), join(old, 'd', '0')]) utimesSync(p, aged, aged);
  await store.open();
  assert.deepEqual(readdirSync(store.staging), [recent.split('/').pop()]);
});

test('the files service ends a refused transfer’s connection with the refusal’s words (its audit summary)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-svc-'));
  let handle: ((req: never, served: never) => void) | undefined;
  const files = createFiles({
    home,
    log: { warn: () => undefined, info: () => undefined } as never,
    services: { register: (_name, def) => void (handle = def.handle as never) },
    peers: {
      peerEntries: () => [],
      openStream: () => Promise.reject(new Error('none')),
      onChanged: () => () => undefined,
    },
    store: { diskReserveBytes: 0 },
  });
  await files.part.start?.();
  const pair = duplexPair();
  const ended: Array<string | undefined> = [];
  const connection = { bytesIn: () => undefined, end: (why?: string) => void ended.push(why) };
  handle!(
    { args: FILES_OPEN_ARGS, peer: PEER, reject: () => assert.fail('refused at once') } as never,
    { accept: () => ({ stream: pair.b, connection }) } as never,
  );
  const got: FileFrame[] = [];
  const sender = new FileChannel(pair.a, (f) => void (f.type !== 'data-parts' && got.push(f)));
  sender.send({ type: 'offer', id: ID, entries: [{ path: '../x', kind: 'dir' }], more: false });
  await until('got.length !== 0', () => got.length !== 0);
  assert.equal(got[0]?.type, 'refuse');
  pair.cut(new Error('transfer attempt over'));
  await until('ended.length !== 0', () => ended.length !== 0);
  assert.match(String(ended[0]), /"\.\.\/x" has a '\.\.' component: refused, nothing was written/);
  await files.part.stop?.();
});

test('small files (one frame each) are written in the background: a cut halfway is answered with what landed', async () => {
  const { store, receiver: r } = await receiver();
  const bodies = Array.from({ length: 300 }, (_, i) => randomBytes(1 + ((i * 97) % 3000)));
  const entries: OfferEntry[] = [
    { path: 'many', kind: 'dir' },
    ...bodies.map((b, i): OfferEntry => ({
      path: `many/f${i}`,
      kind: 'file',
      size: b.length,
      exec: i % 5 === 0,
      sha256: sha(b),
    })),
  ];
  const first = connect(r);
  first.channel.send({ type: 'offer', id: ID, entries, more: false });
  await first.next('want');
  for (let i = 0; i < 150; i++)
    first.channel.send({ type: 'data', index: i + 1, offset: 0, bytes: bodies[i]! });
  await first.next('verified');
  first.pair.cut(new Error('link died'));
  await first.session.settled;
  // Whatever the receiver counts as held is on disk whole and right: nothing marked before it landed.
  const staged = join(store.stagingDir(PEER.fingerprint, ID), 'd');
  const marked = readFileSync(join(store.stagingDir(PEER.fingerprint, ID), 'verified'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number);
  assert.ok(marked.length > 0, 'marked.length > 0');
  for (const i of marked)
    assert.deepEqual(readFileSync(join(staged, String(i))), bodies[i - 1], `marked ${i}`);
  const second = connect(r);
  second.channel.send({ type: 'offer', id: ID, entries, more: false });
  const want = await second.next('want');
  const have = new Map(want.type === 'want' ? want.have : []);
  for (const [i, n] of have) assert.equal(n, bodies[i - 1]!.length, `held ${i} is whole`);
  assert.ok(have.size >= marked.length && have.size <= 150, `held ${have.size}`);
  for (let i = 0; i < bodies.length; i++) {
    if (!have.has(i + 1)) second.channel.send({ type: 'data', index: i + 1, offset: 0, bytes: bodies[i]! });
  }
  const done = await second.next('complete');
  assert.equal(done.type, 'complete');
  const [meta] = await store.list();
  for (let i = 0; i < bodies.length; i++) {
    assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'many', `f${i}`)), bodies[i], `f${i}`);
  }
});

test('after the OS restarted (another boot ID), files marked verified are hashed again: a torn one is wanted anew', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-recv-'));
  const before = new FileStore(home, { diskReserveBytes: 0, bootId: 'boot-one' });
  await before.open();
  const bodies = [randomBytes(5000), randomBytes(7000), randomBytes(100)];
  const entries: OfferEntry[] = bodies.map((b, i) => ({
    path: `f${i}`,
    kind: 'file',
    size: b.length,
    exec: false,
    sha256: sha(b),
  }));
  const first = connect(new FileReceiver(before));
  first.channel.send({ type: 'offer', id: ID, entries, more: false });
  await first.next('want');
  for (const i of [0, 1]) first.channel.send({ type: 'data', index: i, offset: 0, bytes: bodies[i]! });
  const verified = await first.next('verified');
  assert.deepEqual(verified.type === 'verified' && [...verified.indices].sort(), [0, 1]);
  first.pair.cut(new Error('the machine lost power'));
  await first.session.settled;
  // The OS crashed: the mark of file 0 reached the disk, its bytes did not (same size, other bytes).
  writeFileSync(join(before.stagingDir(PEER.fingerprint, ID), 'd', '0'), Buffer.alloc(5000));
  const after = new FileStore(home, { diskReserveBytes: 0, bootId: 'boot-two' });
  await after.open();
  const second = connect(new FileReceiver(after));
  second.channel.send({ type: 'offer', id: ID, entries, more: false });
  const want = await second.next('want');
  assert.deepEqual(want.type === 'want' && want.have, [[1, 7000]], 'file 0 wanted from its start');
  second.channel.send({ type: 'data', index: 0, offset: 0, bytes: bodies[0]! });
  second.channel.send({ type: 'data', index: 2, offset: 0, bytes: bodies[2]! });
  await second.next('complete');
  const [meta] = await after.list();
  assert.deepEqual(readFileSync(join(after.treeOf(meta!.id), 'f0')), bodies[0]);
});

test('DATA frames that arrive in pieces (split anywhere, the header too) are taken as they came, byte-exact', async () => {
  const { store, receiver: r } = await receiver();
  const big = randomBytes(600_000);
  const small = randomBytes(3000);
  const entries: OfferEntry[] = [
    { path: 'big', kind: 'file', size: big.length, exec: false, sha256: sha(big) },
    { path: 'small', kind: 'file', size: small.length, exec: false, sha256: sha(small) },
  ];
  const s = connect(r);
  s.channel.send({ type: 'offer', id: ID, entries, more: false });
  await s.next('want');
  const wire = (index: number, offset: number, bytes: Buffer) =>
    encodeLengthPrefixed(encodeFileFrame({ type: 'data', index, offset, bytes }));
  const frames = [
    wire(0, 0, big.subarray(0, 262_144)),
    wire(0, 262_144, big.subarray(262_144, 524_288)),
    wire(0, 524_288, big.subarray(524_288)),
    wire(1, 0, small),
  ];
  // Cut into pieces of odd sizes: some frames start mid-piece, one header is split over two.
  const all = Buffer.concat(frames);
  let chunks = 0;
  let pauses = 0;
  s.pair.b.on('pause', () => pauses++);
  for (let at = 0, k = 0; at < all.length; k++) {
    const n = [7, 16_384, 5, 100_000, 9][k % 5]!;
    s.pair.a.write(all.subarray(at, at + n));
    at += n;
    chunks++;
  }
  const done = await s.next('complete');
  assert.equal(done.type, 'complete');
  // A chunk that completes no frame is taken without pausing the stream: paused once a frame at most.
  assert.ok(chunks > 5 * frames.length, `${chunks} chunks`);
  assert.ok(pauses <= frames.length, `the stream was paused ${pauses} times for ${frames.length} frames`);
  const [meta] = await store.list();
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'big')), big);
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'small')), small);
});

test('files offered without their SHA-256 (hashed while sent) are verified by the DIGEST after their bytes; a wrong one is refused', async () => {
  const { store, receiver: r } = await receiver();
  const big = randomBytes(600_000);
  const mid = randomBytes(100_000);
  // No sha256: each file's DIGEST follows its last DATA (ADR 0067).
  const entries: OfferEntry[] = [
    { path: 'big', kind: 'file', size: big.length, exec: false },
    { path: 'mid', kind: 'file', size: mid.length, exec: true },
  ];
  const s = connect(r);
  s.channel.send({ type: 'offer', id: ID, entries, more: false });
  await s.next('want');
  for (let at = 0; at < big.length; at += 262_144)
    s.channel.send({ type: 'data', index: 0, offset: at, bytes: big.subarray(at, at + 262_144) });
  s.channel.send({ type: 'digest', index: 0, sha256: sha(big) });
  s.channel.send({ type: 'data', index: 1, offset: 0, bytes: mid });
  s.channel.send({ type: 'digest', index: 1, sha256: sha(mid) });
  const done = await s.next('complete');
  const digests = new Map([
    [0, sha(big)],
    [1, sha(mid)],
  ]);
  assert.equal(done.type === 'complete' && done.treeHash, treeHash(entries, digests));
  const [meta] = await store.list();
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'big')), big);
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'mid')), mid);

  // A DIGEST that does not match what arrived: FAILED, the file thrown away, nothing in the inbox.
  const other = await receiver();
  const bad = connect(other.receiver);
  bad.channel.send({ type: 'offer', id: ID, entries, more: false });
  await bad.next('want');
  for (let at = 0; at < big.length; at += 262_144)
    bad.channel.send({ type: 'data', index: 0, offset: at, bytes: big.subarray(at, at + 262_144) });
  bad.channel.send({ type: 'digest', index: 0, sha256: sha(mid) });
  const failed = await bad.next('failed');
  assert.match(failed.type === 'failed' ? failed.reason : '', /did not match its SHA-256/);
  await bad.session.settled;
  assert.deepEqual(readdirSync(other.store.inbox), []);
  assert.deepEqual(readdirSync(join(other.store.stagingDir(PEER.fingerprint, ID), 'd')), []);
});

test('a file hashed while sent, cut before its DIGEST or after it: the next stream wants its last byte again, or nothing', async () => {
  const { store, receiver: r } = await receiver();
  const a = randomBytes(300_000);
  const b = randomBytes(70_000);
  const entries: OfferEntry[] = [
    { path: 'a', kind: 'file', size: a.length, exec: false },
    { path: 'b', kind: 'file', size: b.length, exec: false },
  ];
  const first = connect(r);
  first.channel.send({ type: 'offer', id: ID, entries, more: false });
  await first.next('want');
  // File 0 whole and its DIGEST (so marked with it); file 1 whole in one frame, no DIGEST yet.
  first.channel.send({ type: 'data', index: 0, offset: 0, bytes: a.subarray(0, 262_144) });
  first.channel.send({ type: 'data', index: 0, offset: 262_144, bytes: a.subarray(262_144) });
  first.channel.send({ type: 'digest', index: 0, sha256: sha(a) });
  await first.next('verified');
  first.channel.send({ type: 'data', index: 1, offset: 0, bytes: b });
  await until('file 1 taken', () => first.session.view.bytesDone >= a.length + b.length);
  first.pair.cut(new Error('link died'));
  await first.session.settled;
  const marks = readFileSync(join(store.stagingDir(PEER.fingerprint, ID), 'verified'), 'utf8');
  assert.equal(marks, `0 ${sha(a)}\n`, 'the mark keeps the DIGEST');
  const second = connect(r);
  second.channel.send({ type: 'offer', id: ID, entries, more: false });
  const want = await second.next('want');
  assert.deepEqual(want.type === 'want' && want.have, [
    [0, a.length],
    [1, b.length - 1],
  ]);
  second.channel.send({ type: 'data', index: 1, offset: b.length - 1, bytes: b.subarray(b.length - 1) });
  second.channel.send({ type: 'digest', index: 1, sha256: sha(b) });
  const done = await second.next('complete');
  const digests = new Map([
    [0, sha(a)],
    [1, sha(b)],
  ]);
  assert.equal(done.type === 'complete' && done.treeHash, treeHash(entries, digests));
  const [meta] = await store.list();
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'a')), a);
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'b')), b);
});

test('a big file’s frames are written as they arrive, not held back for a bigger write', async () => {
  const { store, receiver: r } = await receiver();
  const big = randomBytes(3 * 262_144 + 5);
  const entries: OfferEntry[] = [
    { path: 'big', kind: 'file', size: big.length, exec: false, sha256: sha(big) },
  ];
  const s = connect(r);
  s.channel.send({ type: 'offer', id: ID, entries, more: false });
  await s.next('want');
  s.channel.send({ type: 'data', index: 0, offset: 0, bytes: big.subarray(0, 262_144) });
  // Written while its bytes are still in the CPU's cache (ADR 0067): on disk before the next frame.
  const file = join(store.stagingDir(PEER.fingerprint, ID), 'd', '0');
  const size = () => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  await until('the first frame on disk', () => size() >= 262_144);
  assert.equal(size(), 262_144, 'the first frame is on disk while the stream waits for the next');
  for (let at = 262_144; at < big.length; at += 262_144)
    s.channel.send({ type: 'data', index: 0, offset: at, bytes: big.subarray(at, at + 262_144) });
  assert.equal((await s.next('complete')).type, 'complete');
  const [meta] = await store.list();
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'big')), big);
});

test('frames that arrive while a big file’s write is under way go in one writev after it, one write at a time, at most 4 MiB held', async () => {
  const { store, receiver: r } = await receiver();
  const FRAME = 262_144;
  const big = randomBytes(20 * FRAME + 7);
  const entries: OfferEntry[] = [
    { path: 'big', kind: 'file', size: big.length, exec: false, sha256: sha(big) },
  ];
  // Every writev of a FileHandle is seen; the first one is held until let go (a slow disk, or a
  // thread pool busy elsewhere).
  const probe = await open(join(store.staging, '..', 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as {
    writev: (this: unknown, buffers: Uint8Array[], position: number) => Promise<{ bytesWritten: number }>;
  };
  await probe.close();
  const writev = proto.writev;
  const calls: Array<{ at: number; bytes: number }> = [];
  let underWay = 0;
  let most = 0;
  let letGo: (() => void) | undefined;
  const firstHeld = new Promise<void>((resolve) => (letGo = resolve));
  proto.writev = async function (this: unknown, buffers, position) {
    calls.push({ at: position, bytes: buffers.reduce((n, b) => n + b.byteLength, 0) });
    most = Math.max(most, ++underWay);
    try {
      if (calls.length === 1) await firstHeld;
      return await writev.call(this, buffers, position);
    } finally {
      underWay--;
    }
  };
  try {
    const s = connect(r);
    s.channel.send({ type: 'offer', id: ID, entries, more: false });
    await s.next('want');
    for (let at = 0; at < big.length; at += FRAME)
      s.channel.send({ type: 'data', index: 0, offset: at, bytes: big.subarray(at, at + FRAME) });
    // While the first write is held the session reads on until 4 MiB are written or waiting, then stops.
    await until('4 MiB written or waiting', () => s.session.view.bytesDone >= 16 * FRAME);
    await sleep(50, 'reading must stop there: nothing more may be taken within this window');
    assert.equal(s.session.view.bytesDone, 16 * FRAME, 'reading stops at 4 MiB written or waiting');
    assert.deepEqual(calls, [{ at: 0, bytes: FRAME }], 'the first frame is written at once, alone');
    letGo!();
    assert.equal((await s.next('complete')).type, 'complete');
    assert.deepEqual(calls[1], { at: FRAME, bytes: 15 * FRAME }, 'what arrived meanwhile goes in one writev');
    assert.equal(most, 1, 'one write at a time: what is on disk is a prefix of the file');
    let at = 0;
    for (const c of calls) {
      assert.equal(c.at, at, 'each write starts where the one before ended');
      at += c.bytes;
    }
    assert.equal(at, big.length);
  } finally {
    proto.writev = writev;
  }
  const [meta] = await store.list();
  assert.deepEqual(readFileSync(join(store.treeOf(meta!.id), 'big')), big);
});
