/** The API's messages domain (messages/messages-api.ts) over real boxes on an in-memory disk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageHandlers, MESSAGE_LIST_BODY_BUDGET } from '../../../src-main/messages/messages-api.js';
import type { ReadonlyPeerEntry } from '../../../src-main/links/ports.js';
import { UuidV7Generator } from '../../../src-main/core/uuid-v7.js';
import { Inbox, type InboxEntry } from '../../../src-main/messages/inbox.js';
import { Outbox } from '../../../src-main/messages/outbox.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';
import { outboxMessageOfRow } from '../../../src-main/messages/compact-queued.js';

const B = 'b'.repeat(64);

async function api() {
  const disk = new MemoryDisk();
  const { outbox } = await Outbox.open(disk.folder());
  const { inbox } = await Inbox.open(disk.folder());
  const entry = {
    fingerprint: B,
    record: { fingerprint: B, name: 'b', allow: [] },
  } as unknown as ReadonlyPeerEntry;
  const peers = { peerEntries: () => [entry], self: () => ({ name: 'a', fingerprint: 'a'.repeat(64) }) };
  return { inbox, outbox, handlers: messageHandlers({ inbox, outbox, peers }) };
}

const refusedWith = (re: RegExp) => (err: Error & { code?: string }) => {
  assert.equal(err.code, 'BAD_ARGUMENT');
  assert.match(err.message, re);
  return true;
};

test('send: by name; a body over 1 MiB and bad base64 are refused, nothing queued', async () => {
  const { outbox, handlers } = await api();
  const sent = await handlers['messages.send']({ peer: 'b', text: 'hi', topic: 'jobs' });
  assert.deepEqual(
    [sent.peer, sent.state, sent.size, sent.topic],
    [{ name: 'b', fingerprint: B }, 'queued', 2, 'jobs'],
  );
  await assert.rejects(
    Promise.resolve().then(() => handlers['messages.send']({ peer: 'b', text: 'x'.repeat(2 * 1024 * 1024) })),
    refusedWith(/at most 1 MiB \(1048576 bytes\); this one is 2097152 bytes: nothing was queued/),
  );
  await assert.rejects(
    Promise.resolve().then(() => handlers['messages.send']({ peer: 'b', base64: 'not base64!' })),
    refusedWith(/standard base64/),
  );
  await assert.rejects(
    Promise.resolve().then(() => handlers['messages.send']({ peer: 'nobody', text: 'x' })),
    (err: Error & { code?: string }) => err.code === 'PEER_NOT_FOUND',
  );
  assert.equal(outbox.list().length, 1);
});

test('list: bodies as text or base64; one answer carries at most the budget, `after` goes on', async () => {
  const { inbox, handlers } = await api();
  const ids = new UuidV7Generator();
  const big = Buffer.alloc(1024 * 1024, 0xff); // 1 MiB of bytes: 1.4 Mi characters of base64
  const sent: string[] = [];
  for (let i = 0; i < 5; i++) {
    const id = ids.next();
    sent.push(id);
    const offer = inbox.offer(B, { type: 'msg', id, topic: 'bulk', text: false, ttlMs: 60_000, body: big });
    await offer.durable;
  }
  const first = await handlers['messages.list']({ topic: 'bulk' });
  const perAnswer = Math.floor(MESSAGE_LIST_BODY_BUDGET / big.toString('base64').length);
  assert.equal(first.length, perAnswer);
  assert.deepEqual(
    first.map((m) => m.id),
    sent.slice(0, perAnswer),
  );
  assert.equal(first[0]!.base64, big.toString('base64'));
  assert.deepEqual(first[0]!.from, { name: 'b', fingerprint: B });
  const rest = await handlers['messages.list']({ topic: 'bulk', after: first.at(-1)!.id });
  assert.deepEqual(
    rest.map((m) => m.id),
    sent.slice(perAnswer, 2 * perAnswer),
  );
  // Acknowledged ones leave the unread list; deleted ones leave the inbox.
  assert.deepEqual(await handlers['messages.ack']({ ids: [sent[0]!, sent[0]!] }), { acked: 1 });
  assert.equal((await handlers['messages.list']({ unread: true, limit: 1 }))[0]?.id, sent[4]);
  assert.deepEqual(await handlers['messages.delete']({ ids: sent }), { deleted: 5 });
  assert.deepEqual(await handlers['messages.list']({}), []);
});

test('sendMany: in order with one flush; a bad one queues none (naming which); over 2 MiB refused; a full outbox stops it without a hole', async () => {
  const disk = new MemoryDisk();
  const { outbox } = await Outbox.open(disk.folder(), { limits: { pendingMessagesPerPeer: 5 } });
  const { inbox } = await Inbox.open(disk.folder());
  const entry = {
    fingerprint: B,
    record: { fingerprint: B, name: 'b', allow: [] },
  } as unknown as ReadonlyPeerEntry;
  const peers = { peerEntries: () => [entry], self: () => ({ name: 'a', fingerprint: 'a'.repeat(64) }) };
  const handlers = messageHandlers({ inbox, outbox, peers });
  const syncs = outbox.stats.syncs;
  const first = await handlers['messages.sendMany']({
    peer: 'b',
    messages: [{ text: 'one' }, { base64: Buffer.from([0xff]).toString('base64'), topic: 'bin' }],
  });
  assert.equal(first.error, undefined);
  assert.deepEqual(
    first.queued.map((m) => [m.topic, m.size, m.state]),
    [
      ['default', 3, 'queued'],
      ['bin', 1, 'queued'],
    ],
  );
  assert.ok(first.queued[0]!.id < first.queued[1]!.id, 'IDs in the order given');
  assert.equal(outbox.stats.syncs - syncs, 1, 'one flush for the batch');
  await assert.rejects(
    Promise.resolve().then(() =>
      handlers['messages.sendMany']({ peer: 'b', messages: [{ text: 'ok' }, { base64: 'not base64!' }] }),
    ),
    refusedWith(/^message 2 of 2: base64 must be standard base64/),
  );
  await assert.rejects(
    Promise.resolve().then(() =>
      handlers['messages.sendMany']({
        peer: 'b',
        messages: [{ text: 'x'.repeat(1024 * 1024) }, { text: 'y'.repeat(1024 * 1024) }, { text: 'z' }],
      }),
    ),
    refusedWith(/at most 2097152 bytes of bodies; these 3 have 2097153: nothing was queued/),
  );
  assert.equal(outbox.list().length, 2, 'nothing of the refused batches was queued');
  // Room for 3 more: the fourth stops the batch; it and the fifth are not queued.
  const full = await handlers['messages.sendMany']({
    peer: 'b',
    messages: ['3', '4', '5', '6', '7'].map((text) => ({ text })),
  });
  assert.equal(full.queued.length, 3);
  assert.equal(full.error?.code, 'OUTBOX_FULL');
  assert.match(full.error.message, /this message and the 1 after it were not queued/);
  assert.equal(outbox.list().length, 5);
  // Full from the first: refused as messages.send is.
  await assert.rejects(
    Promise.resolve().then(() =>
      handlers['messages.sendMany']({ peer: 'b', messages: [{ text: '8' }, { text: '9' }] }),
    ),
    (err: Error & { code?: string }) => err.code === 'OUTBOX_FULL',
  );
});

test('message events: in the order messages arrived, one whose body is read from the log holding back those after it; a body in memory goes at once (ADR 0059)', async () => {
  const { Emitter } = await import('../../../src-main/core/emitter.js');
  const { messageEventSources } = await import('../../../src-main/messages/messages-api.js');
  const events = new Emitter<{ message: [InboxEntry] }>();
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const bodies = new Map([
    ['m1', 'one'],
    ['m2', 'two'],
    ['m3', 'three'],
  ]);
  const inbox = {
    events,
    // m1 is not in memory: its body is read from the log, slowly.
    cachedBody: (id: string) => (id === 'm1' ? undefined : Buffer.from(bodies.get(id)!)),
    body: async (id: string) => {
      if (id === 'm1') await slow;
      return Buffer.from(bodies.get(id)!);
    },
  };
  const entry = {
    fingerprint: B,
    record: { fingerprint: B, name: 'b', allow: [] },
  } as unknown as ReadonlyPeerEntry;
  const peers = { peerEntries: () => [entry], self: () => ({ name: 'a', fingerprint: 'a'.repeat(64) }) };
  const sources = messageEventSources({
    inbox: inbox as never,
    outbox: {} as never,
    peers,
  });
  const got: string[] = [];
  const off = sources.onMessage((m) => got.push(`${m.id}:${m.text}`));
  const at = (id: string): InboxEntry => ({
    id,
    from: B,
    topic: 't',
    text: true,
    ttlMs: 60_000,
    size: 3,
    sentAt: 0,
    expiresAt: 60_000,
    receivedAt: 0,
    read: false,
  });
  events.emit('message', at('m2'));
  assert.deepEqual(got, ['m2:two'], 'in memory, nothing before it: at once');
  events.emit('message', at('m1'));
  events.emit('message', at('m3'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, ['m2:two'], 'm3 waits behind m1, whose body is being read');
  release();
  for (let i = 0; i < 10 && got.length < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, ['m2:two', 'm1:one', 'm3:three']);
  assert.equal(got.length, 3);
  off();
});

test("sendMany with answer 'compact' (ADR 0113): rows that read back as the full answer's messages, a full outbox's error too", async () => {
  const disk = new MemoryDisk();
  const { outbox } = await Outbox.open(disk.folder(), { limits: { pendingMessagesPerPeer: 3 } });
  const { inbox } = await Inbox.open(disk.folder());
  const entry = {
    fingerprint: B,
    record: { fingerprint: B, name: 'b', allow: [] },
  } as unknown as ReadonlyPeerEntry;
  const peers = { peerEntries: () => [entry], self: () => ({ name: 'a', fingerprint: 'a'.repeat(64) }) };
  const handlers = messageHandlers({ inbox, outbox, peers });
  const replyTo = '01890a5d-ac96-774b-bcce-b302099a8057';
  const answer = await handlers['messages.sendMany']({
    peer: 'b',
    messages: [
      { text: 'one', topic: 'jobs', ttlMs: 5000 },
      { base64: 'AAE=', replyTo },
      { text: '3' },
      { text: '4' },
    ],
    answer: 'compact',
  });
  assert.deepEqual(answer.queued, [], 'the messages are in `compact`, not `queued`');
  assert.equal(answer.error?.code, 'OUTBOX_FULL', 'the fourth did not fit');
  const compact = answer.compact;
  assert.ok(compact, 'a compact answer when asked for one');
  assert.deepEqual(compact.peer, { name: 'b', fingerprint: B });
  assert.equal(compact.rows.length, 3);
  const read = compact.rows.map((row) => outboxMessageOfRow(row, compact.peer));
  const ids = read.map((m) => m.id);
  assert.deepEqual(
    read,
    await handlers['messages.outbox']({ ids }),
    'each row is the message the outbox shows',
  );
  assert.deepEqual(
    read.map((m) => [m.topic, m.size, m.replyTo]),
    [
      ['jobs', 3, undefined],
      ['default', 2, replyTo],
      ['default', 1, undefined],
    ],
  );
});

test("messages events (ADR 0122): one per turn of the event loop, in the order messages arrived (a body read from the log holds back those after it), each once, and past 1 Mi body characters sent without waiting for the turn's end", async () => {
  const { Emitter } = await import('../../../src-main/core/emitter.js');
  const { messageEventSources } = await import('../../../src-main/messages/messages-api.js');
  const { inboxMessageOfRow, MESSAGES_EVENT_BODY_CHARS } =
    await import('../../../src-main/messages/compact-inbox.js');
  const events = new Emitter<{ message: [InboxEntry] }>();
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));
  const big = 'x'.repeat(MESSAGES_EVENT_BODY_CHARS / 2);
  const bodyOf = (id: string) => (id.startsWith('big') ? big : `body of ${id}`);
  const inbox = {
    events,
    // m3 is not in memory: its body is read from the log, slowly.
    cachedBody: (id: string) => (id === 'm3' ? undefined : Buffer.from(bodyOf(id))),
    body: async (id: string) => {
      if (id === 'm3') await slow;
      return Buffer.from(bodyOf(id));
    },
  };
  const C = 'c'.repeat(64);
  const entries = [B, C].map(
    (fingerprint) =>
      ({
        fingerprint,
        record: { fingerprint, name: fingerprint[0], allow: [] },
      }) as unknown as ReadonlyPeerEntry,
  );
  const peers = { peerEntries: () => entries, self: () => ({ name: 'a', fingerprint: 'a'.repeat(64) }) };
  const sources = messageEventSources({ inbox: inbox as never, outbox: {} as never, peers });
  const batches: string[][] = [];
  // Read through a function: an assertion on batches.length would narrow its type for the rest.
  const count = (): number => batches.length;
  const singles: string[] = [];
  const offSingle = sources.onMessage((m) => singles.push(`${m.id}:${m.text}`));
  const off = sources.onMessages((e) => {
    assert.ok(e.from.length <= 2, 'each sender named once in an event');
    batches.push(e.rows.map((row) => inboxMessageOfRow(row, e)).map((m) => `${m!.id}:${m!.text}`));
  });
  const at = (id: string, from = B): InboxEntry => ({
    id,
    from,
    topic: 't',
    text: true,
    ttlMs: 60_000,
    size: 3,
    sentAt: 0,
    expiresAt: 60_000,
    receivedAt: 0,
    read: false,
  });
  const turn = () => new Promise((r) => setImmediate(r));
  events.emit('message', at('m1'));
  events.emit('message', at('m2', C));
  assert.equal(count(), 0, 'not before the turn ends');
  await turn();
  assert.deepEqual(batches, [['m1:body of m1', 'm2:body of m2']], 'one event for the turn, in order');
  events.emit('message', at('m3'));
  events.emit('message', at('m4'));
  await turn();
  assert.equal(count(), 1, 'm4 waits behind m3, whose body is being read');
  release();
  for (let i = 0; i < 10 && count() < 2; i++) await turn();
  assert.deepEqual(batches.slice(1).flat(), ['m3:body of m3', 'm4:body of m4']);
  const before = count();
  for (const id of ['big1', 'big2', 'big3', 'm5']) events.emit('message', at(id));
  assert.equal(count(), before + 1, 'two halves of the limit are sent at once');
  await turn();
  assert.deepEqual(
    batches.slice(before).map((b) => b.map((m) => m.slice(0, 6))),
    [
      ['big1:x', 'big2:x'],
      ['big3:x', 'm5:bod'],
    ],
  );
  const all = batches.flat().map((m) => m.split(':')[0]);
  assert.deepEqual(all, ['m1', 'm2', 'm3', 'm4', 'big1', 'big2', 'big3', 'm5'], 'each once, in order');
  assert.deepEqual(
    singles.map((m) => m.split(':')[0]),
    all,
    'a `message` subscriber beside it gets each one as before',
  );
  off();
  offSingle();
});
