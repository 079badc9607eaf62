/**
 * The Messages view's model: conversations per peer newest first with unread counts (peers with none
 * after, by name; a former peer keeps its own); a conversation's messages both ways in the order they
 * happened here; each sent state in words, with the why for refused, expired and INBOX_FULL and
 * where to grant the permission; the composer's line for an offline peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InboxMessage, OutboxMessage } from '../../../src-main/messages/messages-contract.js';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import {
  conversations,
  inboxBody,
  queuedText,
  stateWords,
  thread,
  unreadCount,
  unreadFrom,
} from '../../../src-renderer/features/messages/conversations.js';

const fp = (c: string) => c.repeat(64);
const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();
let n = 0;
const id = () => `0190a000-0000-7000-8000-${String(++n).padStart(12, '0')}`;

function peer(name: string, c: string): PeerInfo {
  return { name, fingerprint: fp(c), online: true, state: 'online', theyAllow: null } as unknown as PeerInfo;
}
function got(from: string, c: string, s: number, over: Partial<InboxMessage> = {}): InboxMessage {
  return {
    id: id(),
    from: { name: from, fingerprint: fp(c) },
    topic: 'default',
    text: `from ${from} at ${s}`,
    sentAt: at(s),
    receivedAt: at(s),
    expiresAt: at(9999),
    read: false,
    ...over,
  };
}
function sent(to: string, c: string, s: number, over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: id(),
    peer: { name: to, fingerprint: fp(c) },
    topic: 'default',
    size: 12,
    state: 'delivered',
    sentAt: at(s),
    stateAt: at(s),
    expiresAt: at(9999),
    ...over,
  };
}

test('conversations: newest first with unread counts; peers with none after, by name; a former peer kept', () => {
  const peers = [peer('zed', 'e'), peer('b', 'b'), peer('c', 'c'), peer('alpha', 'd')];
  const inbox = [got('b', 'b', 1), got('b', 'b', 2, { read: true }), got('c', 'c', 5), got('gone', 'f', 3)];
  const mine = sent('b', 'b', 7);
  const outbox = [mine];
  const texts = new Map([[mine.id, 'hi b, all well?']]);
  const list = conversations(peers, inbox, outbox, (i) => texts.get(i));
  assert.deepEqual(
    list.map((c) => [c.name, c.unread, c.lastAt]),
    [
      ['b', 1, at(7)],
      ['c', 1, at(5)],
      ['gone', 1, at(3)],
      ['alpha', 0, null],
      ['zed', 0, null],
    ],
  );
  assert.equal(list[0]!.preview, 'You: hi b, all well?');
  assert.equal(list[1]!.preview, 'from c at 5');
  assert.equal(list[2]!.peer, null, 'no longer a peer');
  assert.equal(unreadCount(inbox), 3);
  // A sent message whose text this window does not have: its size.
  assert.equal(conversations(peers, [], outbox, () => undefined)[0]!.preview, 'You: 12 B');
  // The peer's name as this device calls it, not as the message said.
  assert.equal(conversations([peer('bee', 'b')], [got('b', 'b', 1)], [], () => undefined)[0]!.name, 'bee');
});

test('a thread: both ways, by this device clock, one peer only; unread IDs to acknowledge', () => {
  const inbox = [got('b', 'b', 3), got('c', 'c', 1), got('b', 'b', 1, { read: true })];
  const outbox = [sent('b', 'b', 2), sent('c', 'c', 0)];
  const items = thread(fp('b'), inbox, outbox, () => 'mine');
  assert.deepEqual(
    items.map((i) => [i.dir, i.at]),
    [
      ['in', at(1)],
      ['out', at(2)],
      ['in', at(3)],
    ],
  );
  assert.deepEqual(unreadFrom(fp('b'), inbox), [inbox[0]!.id]);
  // Received by its arrival here, not by the sender's clock (which may be off by minutes).
  const skewed = [got('b', 'b', 10, { sentAt: at(-600) })];
  assert.deepEqual(
    thread(fp('b'), skewed, [sent('b', 'b', 5)], () => undefined).map((i) => i.dir),
    ['out', 'in'],
  );
  assert.equal(inboxBody(got('b', 'b', 1, { text: undefined, base64: 'AAECAw==' })), '4 B of binary data');
});

test('states in words: queued offline or behind a full inbox, refused with where to grant, expired with why', () => {
  const q = stateWords(sent('b', 'b', 1, { state: 'queued' }), 'b', false, 'a');
  assert.deepEqual(q, { word: 'queued', tone: 'busy', detail: 'b is offline, it goes when it comes back' });
  assert.equal(stateWords(sent('b', 'b', 1, { state: 'queued' }), 'b', true, 'a').detail, null);
  const full = stateWords(
    sent('b', 'b', 1, { state: 'queued', why: { code: 'INBOX_FULL', reason: 'inbox full' } }),
    'b',
    true,
    'a',
  );
  assert.equal(full.tone, 'warn');
  assert.match(full.detail!, /b's inbox for this device is full \(INBOX_FULL\): it goes when b makes room/);
  const refused = stateWords(
    sent('b', 'b', 1, {
      state: 'refused',
      why: { code: 'PERMISSION_DENIED', reason: 'no message permission' },
    }),
    'b',
    true,
    'a',
  );
  assert.equal(refused.word, 'refused');
  assert.equal(refused.tone, 'down');
  assert.match(refused.detail!, /^b does not allow messages from this device \(PERMISSION_DENIED\)/);
  assert.match(
    refused.detail!,
    /on b, open Peers → Permissions of a and allow “Send messages to programs here”/,
  );
  assert.match(refused.detail!, /or run there:$/);
  assert.equal(refused.command, 'clawbridge peers allow a message');
  const old = stateWords(
    sent('b', 'b', 1, {
      state: 'queued',
      why: {
        code: 'UNSPECIFIED',
        reason: 'b runs a release without messages; they wait until it is upgraded',
      },
    }),
    'b',
    true,
    'a',
  );
  assert.deepEqual(old, {
    word: 'queued',
    tone: 'warn',
    detail: 'b runs a release without messages; they wait until it is upgraded',
  });
  const expired = stateWords(
    sent('b', 'b', 1, { state: 'expired', why: { code: 'EXPIRED', reason: 'ttl 1h passed' } }),
    'b',
    true,
    'a',
  );
  assert.equal(expired.detail, 'not delivered before its time to live ran out: ttl 1h passed');
  assert.equal(
    stateWords(
      sent('b', 'b', 1, { state: 'refused', why: { code: 'TOO_LARGE', reason: '' } }),
      'b',
      true,
      'a',
    ).detail,
    'larger than b takes from this device (TOO_LARGE)',
  );
  assert.equal(
    stateWords(
      sent('b', 'b', 1, { state: 'refused', why: { code: 'UNSPECIFIED', reason: 'disk on fire' } }),
      'b',
      true,
      'a',
    ).detail,
    'b said: disk on fire',
  );
  for (const state of ['sent', 'delivered', 'read'] as const)
    assert.deepEqual(stateWords(sent('b', 'b', 1, { state }), 'b', false, 'a').detail, null);
  assert.equal(queuedText('b', false), 'queued: b is offline, it goes when it comes back');
  assert.equal(queuedText('b', true), '');
});
