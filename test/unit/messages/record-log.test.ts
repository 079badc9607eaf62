/**
 * The record log under messages: appends durable in batches (group commit), replay in order, a torn
 * end cut at every byte of the last record, a failed write that stops the log, and compaction with
 * appends arriving meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isClawError } from '../../../src-main/core/errors.js';
import { diskLogFolder, type LogFolder } from '../../../src-main/messages/log-files.js';
import {
  LAZY_FLUSH_MS,
  READ_AHEAD_BYTES,
  RecordLog,
  RECORD_HEADER_BYTES,
} from '../../../src-main/messages/record-log.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';
import { until, sleep } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

async function openAll(folder: LogFolder, name = 'x.log') {
  const seen: { payload: string; offset: number }[] = [];
  const { log, recovery } = await RecordLog.open(folder, name, (p, offset) =>
    seen.push({ payload: p.toString(), offset }),
  );
  return { log, recovery, seen };
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('appends resolve with their place once durable; a reopen replays them in order', async () => {
  const disk = new MemoryDisk();
  const { log, recovery, seen } = await openAll(disk.folder());
  assert.deepEqual(recovery, { records: 0, truncatedBytes: 0 });
  assert.deepEqual(seen, []);
  const offsets = await Promise.all(['one', 'two', 'three'].map((s) => log.append(Buffer.from(s))));
  assert.deepEqual(offsets, [8 + 8, 8 + 8 + 3 + 8, 8 + 8 + 3 + 8 + 3 + 8]);
  assert.equal((await log.read(offsets[1]!, 3)).toString(), 'two');
  await log.close();
  const again = await openAll(disk.folder());
  assert.deepEqual(
    again.seen,
    ['one', 'two', 'three'].map((payload, i) => ({ payload, offset: offsets[i]! })),
  );
  await again.log.close();
});

test('group commit: 1,000 appends in one turn cost two flushes, not 1,000', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  const before = disk.syncs;
  await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(Buffer.from(`m${i}`))));
  // The first append starts a flush alone; the other 999 arrive while it runs and form the second.
  assert.equal(disk.syncs - before, 2);
  assert.deepEqual(log.stats, { records: 1000, batches: 2, syncs: 2, bytes: log.stats.bytes });
  assert.equal(log.size, disk.bytes('x.log')!.length, 'size counts what was written');
  log.appendLazy(Buffer.from('lazy'));
  const queued = log.append(Buffer.from('more'));
  assert.equal(log.size, disk.bytes('x.log')!.length + 2 * 8 + 8, 'and what is queued');
  await queued;
  assert.equal(log.size, disk.bytes('x.log')!.length);
  await log.close();
  const again = await openAll(disk.folder());
  assert.equal(again.seen.length, 1002);
  assert.equal(again.seen[999]!.payload, 'm999');
  await again.log.close();
});

test('a torn last record is cut at every byte offset of it (real files), and the log goes on after it', async (t) => {
  const dir = tempDir(t);
  const { log } = await openAll(diskLogFolder(dir));
  for (const s of ['first record', 'second record', 'the last record, torn'])
    await log.append(Buffer.from(s));
  await log.close();
  const whole = readFileSync(join(dir, 'x.log'));
  const lastStart = whole.length - RECORD_HEADER_BYTES - 'the last record, torn'.length;
  for (let cut = lastStart; cut <= whole.length; cut++) {
    writeFileSync(join(dir, 'x.log'), whole.subarray(0, cut));
    const { log: l, recovery, seen } = await openAll(diskLogFolder(dir));
    const complete = cut === whole.length;
    assert.deepEqual(
      seen.map((s) => s.payload),
      complete
        ? ['first record', 'second record', 'the last record, torn']
        : ['first record', 'second record'],
      `cut at ${cut}`,
    );
    assert.equal(recovery.truncatedBytes, complete ? 0 : cut - lastStart, `cut at ${cut}`);
    assert.equal(statSync(join(dir, 'x.log')).size, complete ? whole.length : lastStart);
    await l.append(Buffer.from('after'));
    await l.close();
    const after = await openAll(diskLogFolder(dir));
    assert.deepEqual(after.seen.map((s) => s.payload).slice(-2), [
      complete ? 'the last record, torn' : 'second record',
      'after',
    ]);
    await after.log.close();
  }
});

test('garbage after the last record (zeros, random bytes, a flipped bit in it) is cut, nothing before it lost', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  for (const s of ['a', 'bb', 'ccc']) await log.append(Buffer.from(s));
  await log.close();
  const whole = disk.bytes('x.log')!;
  const tails: [string, Buffer, string[]][] = [
    ['zeros', Buffer.concat([whole, Buffer.alloc(4096)]), ['a', 'bb', 'ccc']],
    [
      'random',
      Buffer.concat([whole, Buffer.from('d1ffe3a9c0ffee00112233445566778899', 'hex')]),
      ['a', 'bb', 'ccc'],
    ],
    ['length says 2 GiB', Buffer.concat([whole, Buffer.from('7fffffff00000000', 'hex')]), ['a', 'bb', 'ccc']],
    [
      'last payload bit flipped',
      Buffer.from(whole).fill(whole[whole.length - 1]! ^ 1, whole.length - 1),
      ['a', 'bb'],
    ],
  ];
  for (const [what, bytes, want] of tails) {
    disk.setBytes('x.log', bytes);
    const { log: l, seen } = await openAll(disk.folder());
    assert.deepEqual(
      seen.map((s) => s.payload),
      want,
      what,
    );
    await l.close();
  }
});

test('a file that is not a message log is refused, and a temp file a crash left is removed', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'x.log'), '{"not":"a log"}');
  writeFileSync(join(dir, 'x.log.tmp'), 'half a compaction');
  await assert.rejects(
    openAll(diskLogFolder(dir)),
    (err: unknown) => isClawError(err, 'CONFIG_INVALID') && /not a message log/.test(String(err)),
  );
  assert.equal(statSync(join(dir, 'x.log.tmp'), { throwIfNoEntry: false }), undefined);
});

test(
  'on Linux the log is opened for synchronized writes (O_DSYNC): a batch is one write, no fdatasync after it (ADR 0066)',
  { skip: process.platform !== 'linux' },
  async (t) => {
    const dir = tempDir(t);
    const folder = diskLogFolder(dir);
    const { log } = await openAll(folder);
    await log.append(Buffer.from('x'));
    // The kernel's own record of the open file's flags: the log file's descriptor carries O_DSYNC.
    const flagsOf = (name: string) =>
      readdirSync('/proc/self/fd')
        .filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === join(dir, name);
          } catch {
            return false; // closed meanwhile
          }
        })
        .map((fd) =>
          parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8),
        );
    const flags = flagsOf('x.log');
    assert.equal(flags.length, 1);
    assert.equal(flags[0]! & constants.O_DSYNC, constants.O_DSYNC);
    const tmp = await folder.createTemp('y.log');
    assert.equal(tmp.writesDurable, false, 'a temp file is synced once, at its end');
    await tmp.close();
    await log.close();
    const again = await openAll(folder);
    assert.deepEqual(
      again.seen.map((r) => r.payload),
      ['x'],
    );
    await again.log.close();
  },
);

test('files are made 0600', { skip: process.platform === 'win32' }, async (t) => {
  const dir = tempDir(t);
  const { log } = await openAll(diskLogFolder(dir));
  await log.append(Buffer.from('x'));
  await log.close();
  assert.equal(statSync(join(dir, 'x.log')).mode & 0o777, 0o600);
});

test('a failed write rejects its batch and every later append; a reopen finds only what was durable', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  await log.append(Buffer.from('kept'));
  disk.failNext = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  await assert.rejects(log.append(Buffer.from('lost')), /no space left/);
  await assert.rejects(log.append(Buffer.from('after')), /no space left/);
  await assert.rejects(log.durableSoFar(), /no space left/);
  disk.crash();
  const again = await openAll(disk.folder());
  assert.deepEqual(
    again.seen.map((s) => s.payload),
    ['kept'],
  );
  await again.log.close();
});

test('rewrite: the live records, then whatever was appended meanwhile, in order; positions switch at once', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  for (const s of ['dead-1', 'live', 'dead-2']) await log.append(Buffer.from(s));
  let switched: number[] = [];
  const rewriting = log.rewrite([Buffer.from('live')], (offsets) => (switched = offsets));
  const during = [log.append(Buffer.from('during-1')), log.append(Buffer.from('during-2'))];
  await rewriting;
  const duringOffsets = await Promise.all(during);
  assert.deepEqual(switched, [16]);
  assert.equal((await log.read(switched[0]!, 4)).toString(), 'live');
  assert.equal((await log.read(duringOffsets[1]!, 8)).toString(), 'during-2');
  await log.close();
  const again = await openAll(disk.folder());
  assert.deepEqual(
    again.seen.map((s) => s.payload),
    ['live', 'during-1', 'during-2'],
  );
  await again.log.close();
});

test('inOrder: records read in file order come from a few reads of the file, each a copy', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  const payloads = Array.from({ length: 1_000 }, (_, i) => Buffer.alloc(300, i & 0xff));
  const offsets = await Promise.all(log.appendAll(payloads));
  const before = disk.reads;
  const read = log.inOrder();
  const got = [];
  for (const [i, at] of offsets.entries()) got.push(await read(at, payloads[i]!.length));
  assert.deepEqual(got, payloads);
  // 308 KB of records in 256 KiB windows: two reads, where one each made 1,000.
  assert.equal(disk.reads - before, 2);
  // Each a copy: changing one leaves the window it came from as it was.
  const first = await read(offsets[0]!, 300).then((b) => b.fill(0));
  assert.equal(first[0], 0);
  assert.deepEqual(await read(offsets[0]!, 300), payloads[0]);
  await log.close();
});

test('inOrder reads what log.read reads, in any order, for records of any size', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 3 * READ_AHEAD_BYTES }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      async (sizes, jumps) => {
        const disk = new MemoryDisk();
        const { log } = await openAll(disk.folder());
        const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
        const offsets = await Promise.all(log.appendAll(payloads));
        const read = log.inOrder();
        // Mostly forwards, as a compaction reads; now and then back or far ahead.
        const order = [...payloads.keys(), ...jumps.map((j) => j % payloads.length)];
        for (const i of order) assert.deepEqual(await read(offsets[i]!, sizes[i]!), payloads[i]);
        await log.close();
      },
    ),
    { numRuns: 40 },
  );
});

test('a crash during a rewrite leaves the old log whole (the temp file is removed on open)', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  for (const s of ['a', 'b']) await log.append(Buffer.from(s));
  log.rewrite([Buffer.from('b')], () => undefined).catch(failTest('log.rewrite'));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  disk.crash((unsynced) => Math.floor(unsynced / 2));
  const again = await openAll(disk.folder());
  assert.deepEqual(
    again.seen.map((s) => s.payload),
    ['a', 'b'],
  );
  assert.equal(disk.bytes('x.log.tmp'), undefined);
  await again.log.close();
});

test('lazy records start no flush: they ride with the next one, or go within LAZY_FLUSH_MS, and close writes them', async () => {
  const disk = new MemoryDisk();
  const { log } = await openAll(disk.folder());
  const before = disk.syncs;
  log.appendLazy(Buffer.from('receipt-1'));
  log.appendLazy(Buffer.from('receipt-2'));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(disk.syncs, before, 'no flush of their own at once');
  await log.append(Buffer.from('message'));
  assert.equal(disk.syncs, before + 1, 'one flush for all three');
  log.appendLazy(Buffer.from('receipt-3'));
  await sleep(LAZY_FLUSH_MS / 2, 'half the lazy-flush time: a lone lazy record must wait');
  assert.equal(disk.syncs, before + 1, 'alone, it waits');
  // …and goes on its own (within LAZY_FLUSH_MS on an idle machine; the bound here is generous).
  await until('the lazy flush on its own', () => disk.syncs !== before + 1);
  assert.equal(disk.syncs, before + 2, 'alone, it went on its own');
  log.appendLazy(Buffer.from('receipt-4'));
  await log.close();
  const again = await openAll(disk.folder());
  assert.deepEqual(
    again.seen.map((s) => s.payload),
    ['receipt-1', 'receipt-2', 'message', 'receipt-3', 'receipt-4'],
  );
  await again.log.close();
});
