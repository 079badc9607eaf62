/** The outbox: what it takes, its bounds, states that only move forward, expiry, and what a reopen shows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError } from '../../../src-main/core/errors.js';
import { UuidV7Generator } from '../../../src-main/core/uuid-v7.js';
import { Outbox, type OutboxOptions } from '../../../src-main/messages/outbox.js';
import { LAZY_FLUSH_MS } from '../../../src-main/messages/record-log.js';
import { MAX_MESSAGE_BODY_BYTES } from '../../../src-main/protocol/message-frames.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';
import { until } from '../../helpers/wait.js';
import { failTest } from '../../helpers/unawaited.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const text = (s: string) => ({ body: Buffer.from(s), text: true });

function clock(start = 1_750_000_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function open(disk: MemoryDisk, options: OutboxOptions = {}) {
  return (await Outbox.open(disk.folder(), options)).outbox;
}

test('queue: durable first, then the queued event; the body and the entry are there after a reopen', async () => {
  const disk = new MemoryDisk();
  const c = clock();
  const outbox = await open(disk, { now: c.now });
  const events: string[] = [];
  outbox.events.on('queued', (e) => events.push(`${e.id} ${e.state}`));
  const syncsBefore = disk.syncs;
  const e = await outbox.queue({ peer: A, topic: 'jobs', ttlMs: 60_000, ...text('hello') });
  assert.ok(disk.syncs > syncsBefore, 'on disk before queue() resolved');
  assert.deepEqual(events, [`${e.id} queued`]);
  assert.equal(e.topic, 'jobs');
  assert.equal(e.expiresAt, e.sentAt + 60_000);
  assert.ok(Math.abs(e.sentAt - c.t) <= 1, 'Math.abs(e.sentAt - c.t) <= 1');
  assert.deepEqual(outbox.pending(A), [e]);
  assert.deepEqual(outbox.pending(B), []);
  assert.equal(Buffer.from(await outbox.body(e.id)).toString(), 'hello');
  disk.crash(() => 0); // only what was synced survives
  const again = await open(disk, { now: c.now });
  assert.deepEqual(again.list(), [e]);
  assert.equal(Buffer.from(await again.body(e.id)).toString(), 'hello');
});

test('queue refuses at once, naming the rule: a 2 MiB body (the 1 MiB limit), a bad topic, TTL, peer or text', async () => {
  const outbox = await open(new MemoryDisk());
  const bad: [object, RegExp][] = [
    [
      { peer: A, body: new Uint8Array(2 * MAX_MESSAGE_BODY_BYTES), text: false },
      /at most 1 MiB \(1048576 bytes\)/,
    ],
    [{ peer: A, topic: 'a b', ...text('x') }, /topic/],
    [{ peer: A, ttlMs: 10, ...text('x') }, /time to live/],
    [{ peer: 'bob', ...text('x') }, /fingerprint/],
    [{ peer: A, body: Buffer.from([0xc3]), text: true }, /UTF-8/],
    [{ peer: A, error: true, ...text('x') }, /replyTo/],
  ];
  for (const [input, pattern] of bad) {
    await assert.rejects(
      outbox.queue(input as Parameters<Outbox['queue']>[0]),
      (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && pattern.test((err as Error).message),
    );
  }
  assert.deepEqual(outbox.list(), [], 'nothing queued');
  // Exactly 1 MiB is a message.
  await outbox.queue({ peer: A, body: new Uint8Array(MAX_MESSAGE_BODY_BYTES), text: false });
});

test('bounds: per peer by count and bytes, across peers by bytes; a delivery makes room', async () => {
  const outbox = await open(new MemoryDisk(), {
    limits: { pendingMessagesPerPeer: 2, pendingBytesPerPeer: 10, pendingBytes: 15 },
  });
  const first = await outbox.queue({ peer: A, ...text('12345') });
  await outbox.queue({ peer: A, ...text('1') });
  await assert.rejects(
    outbox.queue({ peer: A, ...text('1') }),
    (err: unknown) => isClawError(err, 'OUTBOX_FULL') && /2 messages to this peer/.test(String(err)),
  );
  await outbox.queue({ peer: B, ...text('1234') });
  await assert.rejects(outbox.queue({ peer: B, ...text('12345678') }), /to this peer is waiting/);
  await assert.rejects(
    outbox.queue({ peer: B, ...text('123456') }),
    (err: unknown) => isClawError(err, 'OUTBOX_FULL') && /MiB is waiting/.test(String(err)),
  );
  await outbox.delivered(A, [first.id]);
  await outbox.queue({ peer: A, ...text('1') });
});

test("receipts: only from the message's own peer; states only move forward; refused is final", async () => {
  const disk = new MemoryDisk();
  const outbox = await open(disk);
  const m1 = await outbox.queue({ peer: A, ...text('1') });
  const m2 = await outbox.queue({ peer: A, ...text('2') });
  const m3 = await outbox.queue({ peer: A, ...text('3') });
  await outbox.delivered(B, [m1.id]); // B cannot speak for A's messages
  assert.equal(outbox.get(m1.id)!.state, 'queued');
  outbox.markSent(A, m1.id);
  assert.equal(outbox.get(m1.id)!.state, 'sent');
  await outbox.read(A, [m1.id]); // READ overtook DELIVERED
  await outbox.delivered(A, [m1.id, m2.id]);
  assert.equal(outbox.get(m1.id)!.state, 'read');
  assert.equal(outbox.get(m2.id)!.state, 'delivered');
  assert.deepEqual(outbox.awaitingRead(A), [m2.id]);
  await outbox.refuse(A, m3.id, { code: 'PERMISSION_DENIED', reason: 'b does not allow messages from a' });
  assert.deepEqual(outbox.get(m3.id)!.why, {
    code: 'PERMISSION_DENIED',
    reason: 'b does not allow messages from a',
  });
  assert.deepEqual(outbox.pending(A), []);
  outbox.markWaiting(A, m3.id, { code: 'INBOX_FULL', reason: 'full' }); // no effect on a finished one
  assert.equal(outbox.get(m3.id)!.state, 'refused');
  // Receipts are recorded lazily: a crash at once forgets them (the messages go out again and the
  // receiver answers the repeats), a crash after LAZY_FLUSH_MS does not.
  disk.crash(() => 0);
  assert.deepEqual(
    (await open(disk)).list().map((e) => e.state),
    ['queued', 'queued', 'queued'],
  );
  const c2 = new MemoryDisk();
  const o2 = await open(c2);
  const n1 = await o2.queue({ peer: A, ...text('1') });
  const n2 = await o2.queue({ peer: A, ...text('2') });
  await o2.delivered(A, [n1.id]);
  await o2.refuse(A, n2.id, { code: 'PERMISSION_DENIED', reason: 'no' });
  // The two state records go on their own after LAZY_FLUSH_MS (bounded wait: 5 s).
  await until('o2.stats.records >= 4', () => o2.stats.records >= 4);
  assert.ok(o2.stats.records >= 4 && LAZY_FLUSH_MS > 0, 'o2.stats.records >= 4 && LAZY_FLUSH_MS > 0');
  c2.crash(() => 0);
  assert.deepEqual(
    (await open(c2)).list().map((e) => [e.id, e.state, e.why?.code]),
    [
      [n1.id, 'delivered', undefined],
      [n2.id, 'refused', 'PERMISSION_DENIED'],
    ],
  );
});

test('sent and waiting are not recorded: after a restart the message is queued, to go out again', async () => {
  const disk = new MemoryDisk();
  const outbox = await open(disk);
  const m = await outbox.queue({ peer: A, ...text('1') });
  outbox.markSent(A, m.id);
  outbox.markWaiting(A, m.id, { code: 'INBOX_FULL', reason: 'full' });
  assert.deepEqual([outbox.get(m.id)!.state, outbox.get(m.id)!.why?.code], ['queued', 'INBOX_FULL']);
  disk.crash();
  const again = await open(disk);
  assert.deepEqual(
    again.pending(A).map((e) => [e.id, e.state, e.why]),
    [[m.id, 'queued', undefined]],
  );
});

test('expiry: undelivered past its TTL is expired; a DELIVERED that comes later still counts', async () => {
  const c = clock();
  const outbox = await open(new MemoryDisk(), { now: c.now });
  const m = await outbox.queue({ peer: A, ttlMs: 1000, ...text('1') });
  c.t += 999;
  await outbox.expire();
  assert.equal(outbox.get(m.id)!.state, 'queued');
  c.t += 2;
  assert.deepEqual(outbox.pending(A), [], 'not handed to a link once past its TTL');
  await outbox.expire();
  assert.equal(outbox.get(m.id)!.state, 'expired');
  await outbox.delivered(A, [m.id]);
  assert.equal(outbox.get(m.id)!.state, 'delivered');
  // Shown for a day after it finished, then gone.
  c.t += 24 * 3600_000;
  await outbox.expire();
  assert.equal(outbox.get(m.id), undefined);
});

test('refusePending: a stream refused for want of the permission refuses every waiting message of that peer', async () => {
  const outbox = await open(new MemoryDisk());
  const a1 = await outbox.queue({ peer: A, ...text('1') });
  const b1 = await outbox.queue({ peer: B, ...text('1') });
  await outbox.refusePending(A, { code: 'PERMISSION_DENIED', reason: 'no' });
  assert.equal(outbox.get(a1.id)!.state, 'refused');
  assert.equal(outbox.get(b1.id)!.state, 'queued');
});

test('IDs keep increasing across restarts with the clock set back, also once every entry is gone and compacted', async () => {
  const disk = new MemoryDisk();
  const c = clock();
  const outbox = await open(disk, { now: c.now });
  const m = await outbox.queue({ peer: A, ...text('1') });
  await outbox.delete([m.id]);
  await (outbox as unknown as { compact(): Promise<void> }).compact();
  await outbox.close();
  c.t -= 3600_000;
  const again = await open(disk, { now: c.now });
  assert.deepEqual(again.list(), []);
  const next = await again.queue({ peer: A, ...text('2') });
  assert.ok(next.id > m.id, `${next.id} after ${m.id}`);
});

test('compaction keeps what is live: pending bodies, states, and the bodies of what was sent (a conversation shows them), the oldest finished going past their bound', async () => {
  const disk = new MemoryDisk();
  // Finished bodies kept per peer: two 1 MiB messages and a bit.
  const outbox = await open(disk, { limits: { finishedBytesPerPeer: 2.5 * MAX_MESSAGE_BODY_BYTES } });
  const big = (n: number) => new Uint8Array(MAX_MESSAGE_BODY_BYTES).fill(n);
  const delivered: string[] = [];
  for (let i = 0; i < 4; i++) delivered.push((await outbox.queue({ peer: A, body: big(i), text: false })).id);
  await outbox.delivered(A, delivered);
  assert.deepEqual(
    outbox.list({ peer: A }).map((e) => e.id),
    delivered.slice(2),
    'past the bound of finished bodies, the oldest went',
  );
  const pending = await outbox.queue({ peer: A, body: Buffer.from('still here'), text: false });
  for (let i = 0; i < 3; i++) await outbox.queue({ peer: B, body: big(9), text: false });
  await outbox.delete(outbox.list({ peer: B }).map((e) => e.id)); // dead weight: compaction starts
  await outbox.close();
  const size = disk.bytes('outbox.log')!.length;
  assert.ok(size < 2.5 * MAX_MESSAGE_BODY_BYTES, `log of ${size} bytes after compaction`);
  const again = await open(disk);
  assert.deepEqual(
    again.list().map((e) => e.state),
    ['delivered', 'delivered', 'queued'],
  );
  assert.equal(Buffer.from(await again.body(pending.id)).toString(), 'still here');
  assert.ok(Buffer.from(await again.body(delivered[3]!)).equals(big(3)), 'what was sent, as sent');
  await assert.rejects(again.body(delivered[0]!), /no body/);
});

test('ADR 0066: after a quiet second a message waits for its record (and a floor); within the lease the next goes while its record is written, and a crash that loses it leaves no ID below it to reuse', async () => {
  const disk = new MemoryDisk();
  const c = clock();
  // Fixed random bits, so IDs within one millisecond are known: the second run's would sort below.
  const ids = (fill: number) => new UuidV7Generator({ now: c.now, random: (b) => b.fill(fill) });
  let outbox = await open(disk, { now: c.now, ids: ids(0xf0) });
  const handed: string[] = [];
  outbox.events.on('queued', (e) => handed.push(e.id));
  disk.holdSyncs('outbox.log');
  const first = outbox.queue({ peer: A, ...text('one') });
  await turns(5);
  assert.equal(handed.length, 0, 'no floor yet: not on a link before its record is durable');
  disk.releaseSyncs('outbox.log');
  const one = await first;
  await turns(1);
  assert.deepEqual(handed, [one.id], 'then handed to the link');
  disk.holdSyncs('outbox.log');
  let answered = false;
  outbox
    .queue({ peer: A, ...text('two') })
    .then(() => (answered = true))
    .catch(failTest('outbox.queue({ peer: A, ...text(two) }).then'));
  assert.equal(handed.length, 2, 'within the lease: handed over at once');
  const two = handed[1]!;
  assert.deepEqual(
    outbox.pending(A).map((e) => e.id),
    [one.id, two],
    'pending while its record is written',
  );
  await turns(5);
  assert.equal(answered, false, 'the caller hears only once it is durable');
  disk.crash(() => 0); // its record never lands; the clock has not moved
  disk.releaseSyncs('outbox.log');
  outbox = await open(disk, { now: c.now, ids: ids(0x00) });
  assert.equal(outbox.get(two), undefined, 'lost with the crash: never confirmed');
  const three = await outbox.queue({ peer: A, ...text('three') });
  assert.ok(three.id > two, `a new ID sorts above the one that may have left (${three.id} > ${two})`);
});

test('ADR 0066: a receipt for a message whose record is still being written is taken', async () => {
  const disk = new MemoryDisk();
  const c = clock();
  const outbox = await open(disk, { now: c.now });
  await outbox.queue({ peer: A, ...text('floor') });
  disk.holdSyncs('outbox.log');
  let id = '';
  outbox.events.on('queued', (e) => (id = e.id));
  const queuing = outbox.queue({ peer: A, ...text('early') });
  outbox.markSent(A, id);
  await outbox.delivered(A, [id]);
  assert.equal(outbox.get(id)!.state, 'delivered');
  disk.releaseSyncs('outbox.log');
  const answer = await queuing;
  assert.equal(answer.state, 'queued', 'answered as it was queued');
  assert.equal(outbox.get(id)!.state, 'delivered');
});
