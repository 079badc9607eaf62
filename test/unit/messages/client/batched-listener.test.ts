/**
 * The client library's listener and ask() with arriving messages batched (ADR 0122): an agent that
 * takes `messages: 'batched'` pushes `messages` events (rows, many messages each, built here by the
 * agent's own messages/compact-inbox.ts); an older one pushes a `message` event per message. Either
 * way every message is handed over once, in order, after the unread listing (a message in both the
 * listing and an event once), and acknowledged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessagesClient,
  type ControlConnection,
} from '../../../../src-main/messages/client/messages-client.js';
import { MessagesEventBuilder } from '../../../../src-main/messages/compact-inbox.js';
import { inboxMessage } from '../../../../src-main/messages/messages-api.js';
import type { InboxEntry } from '../../../../src-main/messages/inbox-entry.js';
import type { InboxMessage, OutboxMessage } from '../../../../src-main/messages/messages-contract.js';
import type { EventOptions } from '../../../../src-main/api/contract.js';
import { until } from '../../../helpers/wait.js';

const OFFICE = 'ab'.repeat(32);
const LAPTOP = 'cd'.repeat(32);
const named = (fingerprint: string) => ({ name: fingerprint === OFFICE ? 'office' : 'laptop', fingerprint });

let counter = 0;
const newId = () => `0193a1b2-c3d4-7e5f-8a9b-${(++counter).toString(16).padStart(12, '0')}`;

type Arrival = { entry: InboxEntry; body: Buffer };

/** An agent in memory: its inbox, the messages.* calls a listener and ask() make, and its events. */
class Agent {
  readonly inbox: Arrival[] = [];
  readonly acked: string[] = [];
  readonly subscribedWith: (EventOptions | undefined)[] = [];
  readonly queued: OutboxMessage[] = [];
  private readonly listeners = new Set<(event: string, data: unknown) => void>();
  /** Called when `messages.list` is asked, before it answers. */
  onList: () => void = () => undefined;
  /** Called with each question queued, before `messages.send` answers. */
  onSend: (m: OutboxMessage) => void = () => undefined;

  /** `batched`: `messages` events, as an agent since ADR 0122 sends them to the library; `each`: older. */
  constructor(private readonly form: 'batched' | 'each') {}

  readonly connection = {
    call: (method: string, params: Record<string, unknown>) => Promise.resolve(this.call(method, params)),
    onEvent: (l: (event: string, data: unknown) => void, options?: EventOptions) => {
      this.subscribedWith.push(options);
      this.listeners.add(l);
      return () => void this.listeners.delete(l);
    },
    onClose: () => () => undefined,
  } as unknown as ControlConnection;

  private call(method: string, params: Record<string, unknown>): unknown {
    switch (method) {
      case 'messages.list':
        this.onList();
        return this.inbox
          .filter((a) => !a.entry.read && (params.topic === undefined || a.entry.topic === params.topic))
          .map((a) => inboxMessage(a.entry, a.body, named));
      case 'messages.ack':
        for (const a of this.inbox) if ((params.ids as string[]).includes(a.entry.id)) a.entry.read = true;
        this.acked.push(...(params.ids as string[]));
        return { acked: (params.ids as string[]).length };
      case 'messages.send': {
        const now = new Date().toISOString();
        const m: OutboxMessage = {
          id: newId(),
          peer: named(OFFICE),
          topic: (params.topic as string | undefined) ?? 'default',
          size: 1,
          state: 'queued',
          sentAt: now,
          stateAt: now,
          expiresAt: now,
        };
        this.queued.push(m);
        this.onSend(m);
        return m;
      }
      default:
        throw new Error(`unexpected ${method}`);
    }
  }

  /** Messages that arrive in one turn: held, and pushed as one `messages` event, or one `message` each. */
  arrive(...messages: { topic: string; text: string; from?: string; replyTo?: string }[]): InboxEntry[] {
    const now = Date.now();
    const arrivals = messages.map(({ topic, text, from = OFFICE, replyTo }) => {
      const entry: InboxEntry = {
        id: newId(),
        from,
        topic,
        text: true,
        ttlMs: 60_000,
        size: text.length,
        sentAt: now - 5,
        receivedAt: now,
        expiresAt: now + 60_000,
        read: false,
        ...(replyTo !== undefined ? { replyTo } : {}),
      };
      return { entry, body: Buffer.from(text) };
    });
    this.inbox.push(...arrivals);
    if (this.form === 'each') {
      for (const a of arrivals) this.emit('message', inboxMessage(a.entry, a.body, named));
    } else {
      const event = new MessagesEventBuilder(named);
      for (const a of arrivals) event.add(a.entry, a.entry.from, a.body);
      // As the control socket carries it: a JSON line.
      this.emit('messages', JSON.parse(JSON.stringify(event.build())));
    }
    return arrivals.map((a) => a.entry);
  }

  private emit(event: string, data: unknown): void {
    for (const l of [...this.listeners]) l(event, data);
  }
}

for (const form of ['batched', 'each'] as const) {
  const what = form === 'batched' ? '`messages` events (rows)' : 'an older agent’s `message` events';
  test(`listen with ${what}: unread first, then each once in order, other topics left, all acknowledged`, async () => {
    const agent = new Agent(form);
    const client = new MessagesClient(agent.connection);
    const [old1, , old2] = agent.arrive(
      { topic: 'jobs', text: 'one' },
      { topic: 'other', text: 'not mine' },
      { topic: 'jobs', text: 'two' },
    );
    // Messages arriving while the listing is answered are in the listing and in an event.
    let crossing: InboxEntry[] = [];
    agent.onList = () => {
      if (crossing.length === 0)
        crossing = agent.arrive({ topic: 'jobs', text: 'crossing 1' }, { topic: 'jobs', text: 'crossing 2' });
    };
    const got: InboxMessage[] = [];
    const listening = client.listen({ topic: 'jobs' }, (m) => void got.push(m));
    await listening.ready;
    agent.arrive(
      { topic: 'jobs', text: 'three' },
      { topic: 'other', text: 'not mine either' },
      { topic: 'jobs', text: 'four', from: LAPTOP },
    );
    agent.arrive({ topic: 'jobs', text: 'five' });
    await until('got.length >= 7', () => got.length >= 7);
    await listening.stop();
    assert.deepEqual(
      got.map((m) => m.text),
      ['one', 'two', 'crossing 1', 'crossing 2', 'three', 'four', 'five'],
    );
    assert.equal(got[5]!.from.name, 'laptop', 'each message names its own sender');
    const jobs = agent.inbox.filter((a) => a.entry.topic === 'jobs');
    assert.deepEqual(
      got.map((m) => m.id),
      jobs.map((a) => a.entry.id),
      'each message once, by its ID',
    );
    // Handed over as the agent's `message` event has it, whichever form carried it.
    // (Read now: it was not when it came.)
    assert.deepEqual(got[4], inboxMessage({ ...jobs[4]!.entry, read: false }, jobs[4]!.body, named));
    assert.deepEqual(new Set(agent.acked), new Set(got.map((m) => m.id)), 'every one acknowledged');
    assert.equal(agent.acked.length, got.length, 'and once');
    assert.deepEqual(agent.acked.slice(0, 2), [old1!.id, old2!.id]);
    assert.deepEqual(
      agent.subscribedWith,
      [{ messageStates: 'batched', messages: 'batched' }],
      'the library asks for both batched forms',
    );
  });

  test(`ask with ${what}: the reply is the message whose replyTo is the question`, async () => {
    const agent = new Agent(form);
    const client = new MessagesClient(agent.connection);
    agent.onSend = (q) =>
      agent.arrive(
        { topic: q.topic, text: 'not this', replyTo: newId() },
        { topic: q.topic, text: 'HELLO', replyTo: q.id },
      );
    const reply = await client.ask('office', 'hello', { topic: 'upper', timeoutMs: 5000 });
    assert.equal(reply.text, 'HELLO');
    assert.equal(reply.replyTo, agent.queued[0]!.id);
    assert.deepEqual(agent.acked, [reply.id]);
  });
}
