/**
 * The inbox: each ID once, by the sender's marks per topic; final refusals remembered; the quota per
 * sender with read messages let go first; and what a crash or compaction may and may not forget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UuidV7Generator } from '../../../src-main/core/uuid-v7.js';
import { encodeInboxRecord } from '../../../src-main/messages/box-records.js';
import { Inbox, INBOX_FILE, type InboxOptions, type Offer } from '../../../src-main/messages/inbox.js';
import { RecordLog } from '../../../src-main/messages/record-log.js';
import type { MessageFrameMsg } from '../../../src-main/protocol/message-frames.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function setup(options: InboxOptions = {}) {
  const c = { t: 1_750_000_000_000, now: () => c.t };
  const ids = new UuidV7Generator({ now: c.now });
  const msg = (topic = 'default', body = 'hi', ttlMs = 3600_000): MessageFrameMsg => ({
    type: 'msg',
    id: ids.next(),
    topic,
    text: true,
    ttlMs,
    body: Buffer.from(body),
  });
  const disk = new MemoryDisk();
  const open = async () => (await Inbox.open(disk.folder(), { now: c.now, ...options })).inbox;
  return { c, msg, disk, open };
}

const kind = (o: Offer) => (o.kind === 'refused' ? `refused ${o.code}` : o.kind);

test('accepted: the message event at once, while its record is written (ADR 0066); listed, its body read; the same after a crash once durable', async () => {
  const { msg, disk, open } = setup();
  const inbox = await open();
  const seen: string[] = [];
  inbox.events.on('message', (e) => seen.push(e.id));
  const m = msg('jobs', 'hello');
  const syncs = disk.syncs;
  const offer = inbox.offer(A, m);
  assert.equal(offer.kind, 'accepted');
  assert.deepEqual(seen, [m.id], 'shown while its record is on its way');
  assert.equal(disk.syncs, syncs, 'before any sync');
  assert.deepEqual(
    inbox.list().map((e) => e.id),
    [m.id],
    'listed as the event showed it',
  );
  assert.equal(Buffer.from(inbox.cachedBody(m.id)!).toString(), 'hello');
  await offer.durable;
  assert.deepEqual(seen, [m.id], 'shown once');
  assert.deepEqual(
    inbox.list().map((e) => [e.id, e.from, e.topic, e.read]),
    [[m.id, A, 'jobs', false]],
  );
  assert.equal(Buffer.from((await inbox.body(m.id))!).toString(), 'hello');
  disk.crash(() => 0);
  const again = await open();
  assert.equal(Buffer.from((await again.body(m.id))!).toString(), 'hello');
});

test('a repeat is dropped: the same ID, or any lower one in the topic; topics and senders are apart', async () => {
  const { msg, open } = setup();
  const inbox = await open();
  const m1 = msg('t');
  const m2 = msg('t');
  const other = msg('u');
  assert.equal(kind(inbox.offer(A, m2)), 'accepted');
  assert.equal(kind(inbox.offer(A, m2)), 'duplicate');
  assert.equal(kind(inbox.offer(A, m1)), 'duplicate', 'below the mark');
  assert.equal(kind(inbox.offer(A, other)), 'accepted', 'another topic');
  assert.equal(kind(inbox.offer(B, m1)), 'accepted', 'another sender');
  const dup = inbox.offer(A, m2);
  await dup.durable;
  assert.equal(inbox.list({ from: A }).length, 2);
});

test('a repeat stays a repeat after the message was deleted, compacted and the node restarted', async () => {
  const { msg, disk, open } = setup();
  const inbox = await open();
  const m = msg();
  await inbox.offer(A, m).durable;
  await inbox.delete([m.id]);
  await (inbox as unknown as { compact(): Promise<void> }).compact();
  await inbox.close();
  disk.crash(() => 0);
  const again = await open();
  assert.deepEqual(again.list(), []);
  assert.equal(kind(again.offer(A, m)), 'duplicate');
});

test('expired on arrival: refused for good, and the same answer for a resend, also below a later mark and after a restart', async () => {
  const { c, msg, disk, open } = setup();
  const inbox = await open();
  const old = msg('t', 'late', 1000);
  c.t += 1000;
  const r = inbox.offer(A, old);
  assert.equal(kind(r), 'refused EXPIRED');
  await r.durable;
  await inbox.offer(A, msg('t')).durable; // the mark passes the refused ID
  assert.equal(kind(inbox.offer(A, old)), 'refused EXPIRED');
  disk.crash(() => 0);
  const again = await open();
  assert.equal(kind(again.offer(A, old)), 'refused EXPIRED');
});

test('quota per sender: INBOX_FULL (not final) once full; read messages make way, oldest first; room events', async () => {
  const { msg, open } = setup({ limits: { messagesPerPeer: 2, bytesPerPeer: 1000 } });
  const inbox = await open();
  const rooms: string[] = [];
  inbox.events.on('room', (from) => rooms.push(from));
  const m1 = msg();
  const m2 = msg();
  await inbox.offer(A, m1).durable;
  await inbox.offer(A, m2).durable;
  const refusals: string[] = [];
  inbox.events.on('refused', (r) => refusals.push(`${r.from === A ? 'A' : 'B'} ${r.code}`));
  const full = inbox.offer(A, msg());
  assert.equal(kind(full), 'refused INBOX_FULL');
  assert.deepEqual(refusals, ['A INBOX_FULL'], 'told for the audit log');
  assert.match((full as { reason: string }).reason, /2 messages/);
  assert.equal(kind(inbox.offer(B, msg())), 'accepted', 'the quota is per sender');
  await inbox.markRead([m1.id]);
  assert.deepEqual(rooms, [A]);
  const m3 = msg();
  assert.equal(kind(inbox.offer(A, m3)), 'accepted');
  assert.deepEqual(
    inbox.list({ from: A }).map((e) => e.id),
    [m2.id, m3.id],
    'm1 (read) went; m3 listed while its record is on its way',
  );
  await inbox.delete([m2.id]);
  assert.deepEqual(rooms, [A, A]);
});

test('too large for the quota at all: TOO_LARGE, final; one topic too many: TOO_MANY_TOPICS', async () => {
  const { msg, open } = setup({ limits: { bytesPerPeer: 4, topicsPerPeer: 1 } });
  const inbox = await open();
  assert.equal(kind(inbox.offer(A, msg('t', 'hello'))), 'refused TOO_LARGE');
  assert.equal(kind(inbox.offer(A, msg('t', 'ok'))), 'accepted');
  assert.equal(kind(inbox.offer(A, msg('u', 'ok'))), 'refused TOO_MANY_TOPICS');
});

test('read: recorded, then one read event per sender; readOf answers only for that sender', async () => {
  const { msg, disk, open } = setup();
  const inbox = await open();
  const a = msg();
  const b = msg();
  await inbox.offer(A, a).durable;
  await inbox.offer(B, b).durable;
  const events: [string, string[]][] = [];
  inbox.events.on('read', (from, ids) => events.push([from, ids]));
  assert.deepEqual((await inbox.markRead([a.id, b.id, a.id])).sort(), [a.id, b.id].sort());
  assert.deepEqual(await inbox.markRead([a.id]), [], 'already read');
  assert.deepEqual(events, [
    [A, [a.id]],
    [B, [b.id]],
  ]);
  assert.deepEqual(inbox.readOf(A, [a.id, b.id]), [a.id]);
  disk.crash(() => 0);
  assert.deepEqual((await open()).list({ unread: true }), []);
});

test('messages, marks and refusals go when their TTL passed; then an old resend is refused as expired', async () => {
  const { c, msg, open } = setup();
  const inbox = await open();
  const m = msg('t', 'x', 1000);
  await inbox.offer(A, m).durable;
  c.t += 1000;
  inbox.expire();
  assert.deepEqual(inbox.list(), []);
  assert.equal(kind(inbox.offer(A, m)), 'refused EXPIRED');
});

test('compaction never writes a mark ahead of its message: a message lost in a crash is taken again', async () => {
  const { msg, disk, open } = setup();
  const inbox = await open();
  const m1 = msg();
  await inbox.offer(A, m1).durable;
  const compacting = (inbox as unknown as { compact(): Promise<void> }).compact();
  // m2 arrives while the log is paused for the rewrite; its record goes after the rewritten ones.
  disk.holdSyncs('inbox.log');
  const m2 = msg();
  assert.equal(inbox.offer(A, m2).kind, 'accepted');
  await compacting;
  disk.crash(() => 0); // m2 was written but never synced
  const again = await open();
  assert.deepEqual(
    again.list().map((e) => e.id),
    [m1.id],
  );
  assert.equal(kind(again.offer(A, m2)), 'accepted', 'not a "repeat" of a message that is not here');
});

test('a log of a release that knew messages by ID alone opens: its read and delete records still apply', async () => {
  const { msg, disk, open } = setup();
  const { log } = await RecordLog.open(disk.folder(), INBOX_FILE, () => undefined);
  const record = (from: string, m: MessageFrameMsg) =>
    encodeInboxRecord({
      kind: 'message',
      meta: {
        id: m.id,
        topic: m.topic,
        text: true,
        ttlMs: m.ttlMs,
        size: m.body.length,
        from,
        receivedAt: 1,
        read: false,
      },
      body: m.body,
    }).payload;
  const [kept, gone] = [msg('jobs', 'kept'), msg('jobs', 'gone')];
  await log.append(record(A, kept));
  await log.append(record(B, gone));
  // As that release wrote them: IDs, no senders.
  await log.append(encodeInboxRecord({ kind: 'read', meta: { ids: [kept.id] } }).payload);
  await log.append(encodeInboxRecord({ kind: 'delete', meta: { ids: [gone.id] } }).payload);
  await log.close();
  const inbox = await open();
  assert.deepEqual(
    inbox.list().map((e) => [e.id, e.from, e.read]),
    [[kept.id, A, true]],
  );
  assert.equal(kind(inbox.offer(B, gone)), 'duplicate', 'its mark still stands');
});

test('one ID from two senders is two messages: neither replaces the other, by ID a program reaches both', async () => {
  const { msg, open } = setup();
  const inbox = await open();
  const m = msg('jobs', 'honest');
  assert.equal(kind(inbox.offer(A, m)), 'accepted');
  const forged = { ...m, body: Buffer.from('forged') };
  assert.equal(kind(inbox.offer(B, forged)), 'accepted');
  assert.equal(
    kind(inbox.offer(B, { ...forged, topic: 'other' })),
    'duplicate',
    'held already, under any topic',
  );
  assert.equal(Buffer.from((await inbox.body(m.id, A))!).toString(), 'honest');
  assert.equal(Buffer.from((await inbox.body(m.id, B))!).toString(), 'forged');
  assert.deepEqual(await inbox.markRead([m.id]), [m.id]);
  assert.deepEqual(inbox.readOf(A, [m.id]), [m.id]);
  assert.deepEqual(inbox.readOf(B, [m.id]), [m.id]);
  assert.deepEqual(await inbox.delete([m.id]), [m.id]);
  assert.deepEqual(inbox.list(), []);
});
