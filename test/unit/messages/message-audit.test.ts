/** What the audit log records of messages (message-audit.ts): refusals one by one, outcomes gathered per peer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditInput } from '../../../src-main/audit/audit-events.js';
import { auditMessages, MESSAGE_AUDIT_GATHER_MS } from '../../../src-main/messages/message-audit.js';
import { Outbox } from '../../../src-main/messages/outbox.js';
import { Inbox } from '../../../src-main/messages/inbox.js';
import { UuidV7Generator } from '../../../src-main/core/uuid-v7.js';
import { MemoryDisk } from '../../helpers/memory-log-folder.js';
import { sleep } from '../../helpers/wait.js';

const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

async function boxes() {
  const disk = new MemoryDisk();
  const { outbox } = await Outbox.open(disk.folder());
  const { inbox } = await Inbox.open(disk.folder());
  return { inbox, outbox };
}

test('200 messages refused at once are one line with a count; expiries per peer; delivered ones none', async () => {
  const { inbox, outbox } = await boxes();
  const lines: AuditInput[] = [];
  const stop = auditMessages(
    { record: (e) => lines.push(e) },
    { inbox, outbox, peerName: (fp) => (fp === B ? 'b' : undefined) },
  );
  const toB = [];
  for (let i = 0; i < 200; i++)
    toB.push(await outbox.queue({ peer: B, body: Buffer.from(`m${i}`), text: true }));
  const toC = await outbox.queue({ peer: C, body: Buffer.from('x'), text: true, ttlMs: 1000, topic: 'jobs' });
  await outbox.delivered(B, [toB[0]!.id]);
  await outbox.refusePending(B, { code: 'PERMISSION_DENIED', reason: 'b does not allow messages from a' });
  await outbox.refuse(C, toC.id, { code: 'EXPIRED', reason: 'the message expired before it arrived' });
  await sleep(MESSAGE_AUDIT_GATHER_MS + 50, 'the audit writes what it gathered once its window is over');
  stop();
  assert.deepEqual(
    lines.map((l) => [
      l.kind,
      'change' in l ? l.change : '',
      l.peer?.name,
      'messages' in l ? l.messages : 0,
      l.what,
    ]),
    [
      ['message', 'refused', 'b', 199, '199 messages on topic default'],
      ['message', 'expired', 'removed peer', 1, '1 message on topic jobs'],
    ],
  );
  assert.match(lines[0]!.reason ?? '', /^PERMISSION_DENIED: b does not allow messages from a$/);
});

test('a message refused here is a refusal line of service message (audit-noise.ts limits them)', async () => {
  const { inbox, outbox } = await boxes();
  const lines: AuditInput[] = [];
  const stop = auditMessages({ record: (e) => lines.push(e) }, { inbox, outbox, peerName: () => 'b' });
  // Past its TTL when it arrives: refused here (EXPIRED), once, however often it is offered.
  const old = {
    type: 'msg' as const,
    id: '017f22e2-79b0-7cc3-98c4-dc0c0c07398f',
    topic: 'jobs',
    text: true,
    ttlMs: 1000,
    body: Buffer.from('hi'),
  };
  inbox.offer(B, old);
  stop();
  assert.equal(lines.length, 1);
  assert.deepEqual(
    [lines[0]!.kind, 'service' in lines[0]! ? lines[0].service : '', lines[0]!.outcome],
    ['refused', 'message', 'refused'],
  );
  assert.match(lines[0]!.reason ?? '', /^EXPIRED: /);
});

test('quota: INBOX_FULL is a refusal line here, and a waiting line on the sender (once per episode)', async () => {
  const disk = new MemoryDisk();
  const { inbox } = await Inbox.open(disk.folder(), { limits: { messagesPerPeer: 1 } });
  const { outbox } = await Outbox.open(new MemoryDisk().folder());
  const lines: AuditInput[] = [];
  const stop = auditMessages({ record: (e) => lines.push(e) }, { inbox, outbox, peerName: () => 'b' });
  const ids = new UuidV7Generator();
  const msg = () => ({
    type: 'msg' as const,
    id: ids.next(),
    topic: 'jobs',
    text: true,
    ttlMs: 60_000,
    body: Buffer.from('hi'),
  });
  await inbox.offer(B, msg()).durable;
  const full = inbox.offer(B, msg());
  assert.equal(full.kind, 'refused');
  // The sender hears INBOX_FULL: its message waits, saying why.
  const waiting = await outbox.queue({ peer: B, body: Buffer.from('x'), text: true });
  outbox.markWaiting(B, waiting.id, {
    code: 'INBOX_FULL',
    reason: 'the inbox holds as much from this peer as it takes',
  });
  await sleep(MESSAGE_AUDIT_GATHER_MS + 50, 'the audit writes what it gathered once its window is over');
  stop();
  assert.deepEqual(
    lines.map((l) => [l.kind, l.reason?.split(':')[0], 'change' in l ? l.change : undefined]),
    [
      ['refused', 'INBOX_FULL', undefined],
      ['message', 'INBOX_FULL', 'waiting'],
    ],
  );
});
