/** The API's messages domain (agent/app/api/messages.ts) over real boxes on an in-memory disk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageHandlers, MESSAGE_LIST_BODY_BUDGET } from '../../../../src-main/agent/app/api/messages.js';
import type { PeerEntry } from '../../../../src-main/agent/links/ports.js';
import { UuidV7Generator } from '../../../../src-main/core/uuid-v7.js';
import { Inbox } from '../../../../src-main/messages/inbox.js';
import { Outbox } from '../../../../src-main/messages/outbox.js';
import { MemoryDisk } from '../../../helpers/memory-log-folder.js';

const B = 'b'.repeat(64);

async function api() {
  const disk = new MemoryDisk();
  const { outbox } = await Outbox.open(disk.folder());
  const { inbox } = await Inbox.open(disk.folder());
  const entry = { fingerprint: B, record: { fingerprint: B, name: 'b', allow: [] } } as unknown as PeerEntry;
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
