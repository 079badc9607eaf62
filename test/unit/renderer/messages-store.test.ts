/**
 * The window's messages store against a fake agent: both boxes read on connecting and again after a
 * reconnect; `message` and `message.state` events keep them live without a request; a state never
 * moves back (a late `sent` after `read`); events that come while a read runs survive its older
 * answer; a body over 1 MiB is refused without asking the agent; what this window sent keeps its
 * text (across a reload, bounded); ack marks read; an older agent is `unsupported`, not an error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InboxMessage, OutboxMessage } from '../../../src-main/messages/messages-contract.js';
import { MAX_MESSAGE_BODY_BYTES } from '../../../src-main/protocol/message-frames.js';
import { ApiClient } from '../../../src-renderer/api/client.js';
import { FakeTransport } from '../../../src-renderer/api/fake-transport.js';
import {
  HELD_MESSAGES,
  MAX_BODY_BYTES,
  MessagesStore,
  SENT_TEXT_CHARS,
  SENT_TEXTS_KEPT,
  utf8Bytes,
} from '../../../src-renderer/features/messages/messages-store.js';
import { ApiError } from '../../../src-renderer/api/transport.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let seq = 0;
/** A UUIDv7-looking ID that sorts by creation. */
const id = () => `0190a000-0000-7000-8000-${String(++seq).padStart(12, '0')}`;
const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();

function inbox(over: Partial<InboxMessage> = {}): InboxMessage {
  return {
    id: id(),
    from: { name: 'b', fingerprint: B },
    topic: 'default',
    text: 'hello',
    sentAt: at(1),
    receivedAt: at(1),
    expiresAt: at(999),
    read: false,
    ...over,
  };
}

function outbox(over: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: id(),
    peer: { name: 'b', fingerprint: B },
    topic: 'default',
    size: 5,
    state: 'queued',
    sentAt: at(2),
    stateAt: at(2),
    expiresAt: at(999),
    ...over,
  };
}

function held<T>() {
  let release!: (value: T) => void;
  const promise = new Promise<T>((r) => (release = r));
  return { promise, release };
}

// eslint-disable-next-line clawbridge/no-fixed-sleep -- a turn of the event loop, not a sleep: the fake transport answers on a later one
const tick = () => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 10; i++) await tick();
};

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
}

function fake(state: 'connected' | 'connecting' = 'connected') {
  const answers = {
    list: [] as (InboxMessage[] | Promise<InboxMessage[]>)[],
    outbox: [] as (OutboxMessage[] | Promise<OutboxMessage[]>)[],
  };
  const t = new FakeTransport({ kind: state })
    .on('messages.list', () => answers.list.shift() ?? [])
    .on('messages.outbox', () => answers.outbox.shift() ?? [])
    .on('messages.ack', (p) => ({ acked: (p as { ids: string[] }).ids.length }))
    .on('messages.send', (p) => {
      const { peer } = p as { peer: string; text: string };
      return outbox({ peer: { name: 'b', fingerprint: peer } });
    });
  const calls = (method: string) => t.calls.filter((c) => c.method === method);
  return { t, answers, calls };
}

test('the constants agree with the protocol: 1 MiB', () => {
  assert.equal(MAX_BODY_BYTES, MAX_MESSAGE_BODY_BYTES);
});

test('utf8Bytes counts as TextEncoder does', () => {
  for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', 'x\udc00y', 'ünïcødé 🎉 text'])
    assert.equal(utf8Bytes(s), new TextEncoder().encode(s).length, JSON.stringify(s));
});

test('reads both boxes once connected, and again after a reconnect', async () => {
  const { t, answers, calls } = fake('connecting');
  const m = new MessagesStore(new ApiClient(t));
  assert.equal(m.get().phase, 'loading');
  const first = inbox({ text: 'first' });
  answers.list.push([first]);
  answers.outbox.push([outbox({ text: 'hello' })]);
  t.setState({ kind: 'connected' });
  await settle();
  assert.equal(m.get().phase, 'ready');
  assert.deepEqual(calls('messages.outbox')[0]!.params, { limit: HELD_MESSAGES, bodies: true });
  assert.deepEqual(
    m.get().inbox.map((x) => x.text),
    ['first'],
  );
  assert.equal(m.get().outbox.length, 1);
  t.setState({ kind: 'reconnecting', retryInMs: 500, reason: 'closed' });
  t.setState({ kind: 'connected' });
  await settle();
  assert.equal(calls('messages.outbox').length, 2);
  // The first read's answer was short, so it asked once more after its last; the second's was empty.
  assert.deepEqual(
    calls('messages.list').map((c) => c.params),
    [{ limit: HELD_MESSAGES }, { limit: HELD_MESSAGES - 1, after: first.id }, { limit: HELD_MESSAGES }],
  );
  assert.equal(
    m.get().inbox.length,
    0,
    'the new read replaces what was held (a message deleted meanwhile goes)',
  );
});

test('message and message.state events keep the boxes live without a request; a state never moves back; a message sent elsewhere has its body asked for once', async () => {
  const { t, calls, answers } = fake();
  const m = new MessagesStore(new ApiClient(t));
  await settle();
  const before = t.calls.length;
  const msg = inbox({ text: 'ping' });
  t.emit('message', msg);
  t.emit('message', msg); // a repeat changes nothing
  assert.deepEqual(
    m.get().inbox.map((x) => x.text),
    ['ping'],
  );
  const out = outbox();
  // Sent by a program: its body is asked for (state events carry none), once.
  answers.outbox.push([{ ...out, state: 'sent', text: 'from a program' }]);
  t.emit('message.state', { ...out, state: 'sent' });
  t.emit('message.state', { ...out, state: 'read', stateAt: at(4) });
  t.emit('message.state', { ...out, state: 'delivered', stateAt: at(3) }); // late
  assert.equal(m.get().outbox[0]!.state, 'read');
  t.emit('message.state', { nonsense: true });
  t.emit('message', { id: 7 });
  assert.equal(m.get().inbox.length, 1);
  await settle();
  assert.deepEqual(
    t.calls.slice(before).map((c) => [c.method, c.params]),
    [['messages.outbox', { ids: [out.id], bodies: true, limit: 1 }]],
    'no request but for the body',
  );
  assert.equal(m.get().outbox[0]!.state, 'read', 'the answer, older, moves no state back');
  assert.equal(m.get().outbox[0]!.text, 'from a program');
  t.emit('message.state', { ...out, state: 'read', stateAt: at(5) });
  assert.equal(m.get().outbox[0]!.text, 'from a program', 'a state event keeps the body');
  assert.equal(calls('messages.list').length, 1);
});

test('events that come while a read runs survive its older answer', async () => {
  const { t, answers } = fake('connecting');
  const m = new MessagesStore(new ApiClient(t));
  const list = held<InboxMessage[]>();
  const box = held<OutboxMessage[]>();
  answers.list.push(list.promise);
  answers.outbox.push(box.promise);
  t.setState({ kind: 'connected' });
  await settle();
  const out = outbox({ state: 'queued' });
  const arrived = inbox({ text: 'during the read' });
  t.emit('message', arrived);
  t.emit('message.state', { ...out, state: 'delivered' });
  // The answers were made before the events.
  list.release([inbox({ text: 'old', receivedAt: at(0) })]);
  box.release([out]);
  await settle();
  assert.deepEqual(
    m.get().inbox.map((x) => x.text),
    ['old', 'during the read'],
  );
  assert.equal(m.get().outbox[0]!.state, 'delivered');
});

test("what this window did while a read ran (sent, marked read) survives the read's older answer", async () => {
  const { t, answers } = fake('connecting');
  const m = new MessagesStore(new ApiClient(t));
  const x = inbox({ text: 'unread' });
  answers.list.push([x]);
  t.setState({ kind: 'connected' });
  await settle();
  const list = held<InboxMessage[]>();
  const box = held<OutboxMessage[]>();
  answers.list.push(list.promise);
  answers.outbox.push(box.promise);
  const reading = m.refresh();
  const sent = await m.send(B, 'sent during the read');
  await m.ack([x.id]);
  // The answers were made before the send and the ack.
  list.release([{ ...x, read: false }]);
  box.release([]);
  await reading;
  assert.deepEqual(
    m.get().outbox.map((o) => o.id),
    [sent.id],
    'the message sent meanwhile is still in the outbox',
  );
  assert.equal(m.get().inbox[0]!.read, true, 'the message marked read meanwhile stays read');
});

test('held messages are bounded: a flood of events keeps the newest', async () => {
  const { t } = fake();
  const m = new MessagesStore(new ApiClient(t));
  await settle();
  for (let i = 0; i < HELD_MESSAGES + 50; i++)
    t.emit(
      'message',
      inbox({ text: `n${i}`, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString() }),
    );
  assert.equal(m.get().inbox.length, HELD_MESSAGES);
  assert.equal(m.get().inbox.at(-1)!.text, `n${HELD_MESSAGES + 49}`);
  assert.equal(m.get().inbox[0]!.text, 'n50');
});

test('send: over 1 MiB is refused at once naming the limit, nothing asked; otherwise queued with its text kept', async () => {
  const { t, calls } = fake();
  const prefs = new MemoryStorage();
  const m = new MessagesStore(new ApiClient(t), prefs);
  await settle();
  const big = 'é'.repeat(MAX_BODY_BYTES / 2 + 1); // 2 bytes each: one byte over
  await assert.rejects(m.send(B, big), (err: unknown) => {
    assert.ok(err instanceof ApiError, 'err instanceof ApiError');
    assert.match(err.message, /at most 1 MiB — nothing was sent/);
    return true;
  });
  assert.equal(calls('messages.send').length, 0);
  // Exactly 1 MiB is fine.
  const sent = await m.send(B, 'x'.repeat(MAX_BODY_BYTES));
  assert.equal(calls('messages.send').length, 1);
  assert.equal(m.get().outbox.at(-1)!.id, sent.id);
  assert.equal(m.sentText(sent.id)!.length, SENT_TEXT_CHARS, 'a long text is kept cut short');
  const hello = await m.send(B, 'hello b');
  assert.deepEqual(calls('messages.send').at(-1)!.params, { peer: B, text: 'hello b' });
  // Another store on the same storage (a reload) still has it.
  const again = new MessagesStore(new ApiClient(fake().t), prefs);
  assert.equal(again.sentText(hello.id), 'hello b');
});

test('sent texts kept are bounded; a damaged store starts empty', async () => {
  const { t } = fake();
  const prefs = new MemoryStorage();
  const m = new MessagesStore(new ApiClient(t), prefs);
  await settle();
  const ids: string[] = [];
  for (let i = 0; i < SENT_TEXTS_KEPT + 5; i++) ids.push((await m.send(B, `t${i}`)).id);
  assert.equal(m.sentText(ids[0]!), undefined, 'the oldest are let go');
  assert.equal(m.sentText(ids.at(-1)!), `t${SENT_TEXTS_KEPT + 4}`);
  assert.equal((JSON.parse(prefs.getItem('clawbridge.sentMessages')!) as unknown[]).length, SENT_TEXTS_KEPT);
  prefs.setItem('clawbridge.sentMessages', '{not json');
  assert.equal(new MessagesStore(new ApiClient(fake().t), prefs).sentText(ids.at(-1)!), undefined);
});

test('ack sends the IDs and marks them read; a later event with read false does not undo it', async () => {
  const { t, answers, calls } = fake('connecting');
  const m = new MessagesStore(new ApiClient(t));
  const x = inbox();
  const y = inbox({ from: { name: 'c', fingerprint: A } });
  answers.list.push([x, y]);
  t.setState({ kind: 'connected' });
  await settle();
  await m.ack([x.id]);
  assert.deepEqual(calls('messages.ack')[0]!.params, { ids: [x.id] });
  assert.deepEqual(
    m.get().inbox.map((i) => i.read),
    [true, false],
  );
  t.emit('message', x);
  assert.equal(m.get().inbox[0]!.read, true);
  await m.ack([]);
  assert.equal(calls('messages.ack').length, 1, 'nothing to acknowledge asks nothing');
});

test('an agent without the messages methods is unsupported; another failure is an error that says why', async () => {
  const old = new FakeTransport({ kind: 'connected' });
  old.on('messages.list', () => {
    throw new ApiError('BAD_ARGUMENT', "unknown method 'messages.list'");
  });
  old.on('messages.outbox', () => []);
  const m = new MessagesStore(new ApiClient(old));
  await settle();
  assert.equal(m.get().phase, 'unsupported');
  const broken = new FakeTransport({ kind: 'connected' });
  broken.on('messages.list', () => {
    throw new ApiError('INTERNAL', 'inbox unreadable');
  });
  broken.on('messages.outbox', () => []);
  const n = new MessagesStore(new ApiClient(broken));
  await settle();
  assert.equal(n.get().phase, 'error');
  assert.equal(n.get().error, 'Could not read the messages: inbox unreadable');
});

test('a read whose answer came back short (the agent bounds the bodies in one answer) asks for the rest after its last', async () => {
  const { t, answers, calls } = fake('connecting');
  const m = new MessagesStore(new ApiClient(t));
  const first = [inbox({ text: 'a', receivedAt: at(1) }), inbox({ text: 'b', receivedAt: at(2) })];
  const second = [inbox({ text: 'c', receivedAt: at(3) })];
  answers.list.push(first, second, []);
  t.setState({ kind: 'connected' });
  await settle();
  assert.deepEqual(
    calls('messages.list').map((c) => c.params),
    [
      { limit: HELD_MESSAGES },
      { limit: HELD_MESSAGES - 2, after: first[1]!.id },
      { limit: HELD_MESSAGES - 3, after: second[0]!.id },
    ],
  );
  assert.deepEqual(
    m.get().inbox.map((x) => x.text),
    ['a', 'b', 'c'],
  );
});
