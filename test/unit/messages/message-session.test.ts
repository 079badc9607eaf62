/**
 * Message sessions over in-memory links: delivery in order with receipts, messages queued while the
 * peer is away, READ receipts that missed a link, INBOX_FULL → ROOM → RESUME, a stream refused for
 * want of the permission, replaced streams and a receiver that breaks the protocol.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LengthPrefixedDecoder, encodeLengthPrefixed } from '../../../src-main/protocol/length-prefixed.js';
import {
  decodeMessageFrame,
  encodeMessageFrame,
  MAX_MESSAGE_FRAME_BYTES,
} from '../../../src-main/protocol/message-frames.js';
import { duplexPair } from '../../helpers/duplex-pair.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';
import { link, openNode, settle, testClock, turns } from '../../helpers/message-nodes.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const send = (node: Awaited<ReturnType<typeof openNode>>, to: string, text: string, topic?: string) =>
  node.outbox.queue({ peer: to, body: Buffer.from(text), text: true, ...(topic ? { topic } : {}) });

async function pair(inboxLimits = {}) {
  const clock = testClock();
  const a = await openNode(A, new MemoryDisk(), clock);
  const b = await openNode(B, new MemoryDisk(), clock, inboxLimits);
  return { clock, a, b };
}

async function texts(node: Awaited<ReturnType<typeof openNode>>): Promise<string[]> {
  const out: string[] = [];
  for (const e of node.inbox.list()) out.push(Buffer.from((await node.inbox.body(e.id))!).toString());
  return out;
}

test('everything queued goes over a new link in order, is delivered once, and READ comes back', async () => {
  const { a, b } = await pair();
  const sent = [await send(a, B, 'one', 'x'), await send(a, B, 'two', 'y'), await send(a, B, 'three', 'x')];
  link(a, b);
  await settle(() => a.outbox.list({ state: 'delivered' }).length === 3, 'three DELIVERED');
  assert.deepEqual(await texts(b), ['one', 'two', 'three']);
  assert.deepEqual(
    b.inbox.list().map((e) => [e.from, e.topic]),
    [
      [A, 'x'],
      [A, 'y'],
      [A, 'x'],
    ],
  );
  const later = await send(a, B, 'four');
  await settle(() => a.outbox.get(later.id)?.state === 'delivered', 'a message queued while the link is up');
  await b.inbox.markRead([sent[1]!.id]);
  await settle(() => a.outbox.get(sent[1]!.id)?.state === 'read', 'READ');
  assert.equal(a.outbox.get(sent[0]!.id)!.state, 'delivered');
});

test('READ while the link was down arrives on the next link (WANT_READ)', async () => {
  const { a, b } = await pair();
  const m = await send(a, B, 'ping');
  const first = link(a, b);
  await settle(() => a.outbox.get(m.id)?.state === 'delivered', 'DELIVERED');
  first.cut();
  await turns(5);
  await b.inbox.markRead([m.id]);
  await turns(50);
  assert.equal(a.outbox.get(m.id)!.state, 'delivered', 'no link, no receipt');
  link(a, b);
  await settle(() => a.outbox.get(m.id)?.state === 'read', 'READ on the next link');
});

test('INBOX_FULL: the sender waits, saying why; room (a read) resumes it, in order', async () => {
  const { a, b } = await pair({ messagesPerPeer: 2 });
  const ids: string[] = [];
  for (const t of ['1', '2', '3', '4']) ids.push((await send(a, B, t)).id);
  link(a, b);
  await settle(() => a.outbox.get(ids[2]!)?.why?.code === 'INBOX_FULL', 'INBOX_FULL for the third');
  await turns(50);
  assert.deepEqual(await texts(b), ['1', '2']);
  assert.deepEqual(
    ids.map((id) => a.outbox.get(id)!.state),
    ['delivered', 'delivered', 'queued', 'queued'],
  );
  await b.inbox.markRead([ids[0]!]);
  await settle(() => a.outbox.get(ids[2]!)?.state === 'delivered', 'the third after ROOM');
  await turns(50);
  assert.deepEqual(await texts(b), ['2', '3'], 'the read one made way; the fourth still waits');
  await b.inbox.markRead([ids[1]!, ids[2]!]);
  await settle(() => a.outbox.get(ids[3]!)?.state === 'delivered', 'the fourth');
  assert.deepEqual(await texts(b), ['3', '4']);
});

test('a stream refused for want of the permission refuses every waiting message, with the hint, once', async () => {
  const { a } = await pair();
  const m = await send(a, B, 'hi');
  const why = {
    code: 'PERMISSION_DENIED' as const,
    reason: 'b does not allow messages from a (its owner can run `clawbridge peers allow a message` there)',
  };
  await a.sessions.openRefused(B, why);
  assert.deepEqual(a.outbox.get(m.id)!.state, 'refused');
  assert.deepEqual(a.outbox.get(m.id)!.why, why);
  assert.deepEqual(a.outbox.pending(B), []);
  const later = await send(a, B, 'later');
  await a.sessions.openRefused(B, { code: 'UNSPECIFIED', reason: 'the link went away' });
  assert.equal(a.outbox.get(later.id)!.state, 'queued', 'any other refusal leaves it for the next link');
});

test('a newer stream from the same sender replaces the older at once', async () => {
  const { a, b } = await pair();
  const old = duplexPair();
  const first = b.sessions.receive(A, old.b);
  const second = link(a, b);
  assert.ok(await first.closed, 'the old session ended with why');
  const m = await send(a, B, 'on the new link');
  await settle(() => a.outbox.get(m.id)?.state === 'delivered', 'DELIVERED on the new link');
  second.cut();
});

test('a receiver that breaks the protocol ends the session; nothing is marked delivered', async () => {
  const { a } = await pair();
  const m = await send(a, B, 'hi');
  const wire = duplexPair();
  const session = a.sessions.send(B, wire.a);
  const decoder = new LengthPrefixedDecoder(MAX_MESSAGE_FRAME_BYTES);
  const got: string[] = [];
  wire.b.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) got.push(decodeMessageFrame(f).type);
  });
  wire.b.write(encodeLengthPrefixed(encodeMessageFrame({ type: 'delivered', ids: [m.id] }))); // before HELLO
  const why = await session.closed;
  assert.match(String(why), /DELIVERED before HELLO/);
  assert.equal(a.outbox.get(m.id)!.state, 'queued');
  assert.deepEqual(got, []);
});

test('group commit across a link: 2,000 messages land with far fewer than 2,000 flushes on either side', async () => {
  const { a, b } = await pair();
  // A flush takes 20 turns here while a frame crosses the link in one: a disk slower than the link,
  // as on a real machine (fdatasync ≈ 0.5 ms, a frame on loopback ≈ 10 µs).
  a.disk.syncTurns = 20;
  b.disk.syncTurns = 20;
  const n = 2000;
  await Promise.all(Array.from({ length: n }, (_, i) => send(a, B, `m${i}`)));
  link(a, b);
  await settle(() => a.outbox.list({ state: 'delivered' }).length === n, `${n} DELIVERED`);
  assert.deepEqual(
    await texts(b),
    Array.from({ length: n }, (_, i) => `m${i}`),
  );
  assert.ok(a.outbox.stats.syncs < n / 4, `sender: ${a.outbox.stats.syncs} flushes`);
  assert.ok(b.inbox.stats.syncs < n / 4, `receiver: ${b.inbox.stats.syncs} flushes`);
});

test('ADR 0066: a message reaches b while both writes are held; send answers, DELIVERED and READ wait for durability', async () => {
  const { a, b } = await pair();
  link(a, b);
  // The first message after a quiet second waits for its record, and writes the floor (lease) that
  // lets the next ones go while theirs are written.
  const first = await send(a, B, 'first');
  await settle(() => a.outbox.get(first.id)?.state === 'delivered', 'the first delivered');
  a.disk.holdSyncs('outbox.log');
  b.disk.holdSyncs('inbox.log');
  const seen: string[] = [first.id];
  b.inbox.events.on('message', (e) => seen.push(e.id));
  let answered: Awaited<ReturnType<typeof send>> | undefined;
  const sending = send(a, B, 'early').then((m) => (answered = m));
  // On the link while a's outbox write is held, and shown on b while b's inbox write is held.
  await settle(() => seen.length === 2, 'b shown the message before either box synced');
  const id = seen[1]!;
  assert.deepEqual(await texts(b), ['first', 'early']);
  let read = false;
  const reading = b.inbox.markRead([id]).then(() => (read = true));
  await turns(50);
  assert.equal(answered, undefined, 'send answers only once durable in the outbox');
  assert.equal(a.outbox.get(id)!.state, 'sent', 'no DELIVERED (nor READ) before b synced');
  assert.equal(read, false, 'the read mark waits for its record, behind the message');
  // b durable: DELIVERED and READ come, and a takes them while its own record is still being written.
  b.disk.releaseSyncs('inbox.log');
  await reading;
  await settle(() => a.outbox.get(id)?.state === 'read', 'READ at a before its own sync');
  assert.equal(answered, undefined);
  a.disk.releaseSyncs('outbox.log');
  await sending;
  assert.equal(answered!.id, id);
  assert.equal(answered!.state, 'queued', 'answered as queued');
  assert.equal(a.outbox.get(id)!.state, 'read');
});

test('ADR 0066: b crashes before its inbox record is durable: shown once already, sent again with the same ID, held once', async () => {
  const clock = testClock();
  const a = await openNode(A, new MemoryDisk(), clock);
  const bDisk = new MemoryDisk();
  let b = await openNode(B, bDisk, clock);
  link(a, b);
  await turns(10);
  bDisk.holdSyncs('inbox.log');
  const seen: string[] = [];
  b.inbox.events.on('message', (e) => seen.push(e.id));
  const m = await send(a, B, 'once');
  await settle(() => seen.length === 1, 'b shown it');
  bDisk.crash(() => 0); // the record never reached the disk
  bDisk.releaseSyncs('inbox.log');
  assert.equal(a.outbox.get(m.id)!.state, 'sent', 'never DELIVERED');
  b = await openNode(B, bDisk, clock);
  assert.deepEqual(b.inbox.list(), [], 'not in the inbox: the crash lost it before it was durable');
  b.inbox.events.on('message', (e) => seen.push(e.id));
  link(a, b);
  await settle(() => a.outbox.get(m.id)?.state === 'delivered', 'delivered on the next link');
  assert.deepEqual(seen, [m.id, m.id], 'shown again, by the same ID (at least once to a live listener)');
  assert.deepEqual(await texts(b), ['once'], 'held once');
});

test('a message sent again after a program read it (its DELIVERED and READ lost with a link) is answered DELIVERED and READ', async () => {
  const { a, b } = await pair();
  const m = await send(a, B, 'once');
  // The sender's first stream: the message goes, and the answers are lost with the link.
  const first = duplexPair();
  a.sessions.send(B, first.a);
  const taken = b.sessions.receive(A, first.b);
  await settle(() => b.inbox.list().length === 1, 'the message in the inbox');
  first.a.pause(); // a hears nothing more on this link
  await b.inbox.markRead([m.id]);
  taken.close();
  await settle(
    () => a.outbox.get(m.id)?.state === 'sent' || a.outbox.get(m.id)?.state === 'queued',
    'still unanswered',
  );
  // The next stream: a resends it, and b answers both receipts.
  link(a, b);
  await settle(() => a.outbox.get(m.id)?.state === 'read', 'READ for the repeat');
  assert.deepEqual(await texts(b), ['once'], 'held once');
});
