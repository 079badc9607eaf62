/**
 * A program's side of messages (messages/client/) against an agent in memory that answers as
 * the contract says and pushes `message` and `message.state` events: waiting for receipts (and one
 * that comes before the send's own answer), refusals and timeouts with their state and why; listen's
 * unread-first order with each message handled and acknowledged once however listing and events
 * cross; ask's reply matching and the withdrawal of an undelivered question; serve.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MessagesClient,
  MessageStateError,
  PartlyQueuedError,
  type ControlConnection,
} from '../../../../src-main/messages/client/messages-client.js';
import type {
  InboxMessage,
  MessageState,
  OutboxMessage,
} from '../../../../src-main/messages/messages-contract.js';
import type { EventOptions } from '../../../../src-main/api/contract.js';
import { ClawError, isClawError } from '../../../../src-main/core/errors.js';
import { until } from '../../../helpers/wait.js';

const OFFICE = { name: 'office', fingerprint: 'ab'.repeat(32) };
const LAPTOP = { name: 'laptop', fingerprint: 'cd'.repeat(32) };

let counter = 0;
/** A fresh UUIDv7-shaped ID, increasing. */
function newId(): string {
  counter++;
  return `0193a1b2-c3d4-7e5f-8a9b-${counter.toString(16).padStart(12, '0')}`;
}

type Listener = (event: string, data: unknown) => void;

/** The agent's side of the messages API, in memory. */
class FakeAgent {
  readonly inbox: InboxMessage[] = [];
  readonly outbox: OutboxMessage[] = [];
  readonly calls: { method: string; params: Record<string, unknown> }[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Set<() => void>();
  /** The options of each onEvent call. */
  readonly subscribedWith: (EventOptions | undefined)[] = [];
  /** Called with each message queued, before `messages.send` answers. */
  onSend: (m: OutboxMessage, params: Record<string, unknown>) => void = () => undefined;
  /** Most messages one `messages.list` answers (the agent's body budget cuts answers short). */
  pageSize = Infinity;
  /** Called when `messages.list` is asked, before it answers. */
  onList: () => void = () => undefined;

  readonly connection = {
    call: (method: string, params: Record<string, unknown>) => this.call(method, params),
    onEvent: (l: Listener, options?: EventOptions) => {
      this.subscribedWith.push(options);
      this.listeners.add(l);
      return () => void this.listeners.delete(l);
    },
    onClose: (l: () => void) => {
      this.closers.add(l);
      return () => void this.closers.delete(l);
    },
  } as unknown as ControlConnection;

  /** Most messages the outbox takes; past it `messages.send` fails and `messages.sendMany` stops. */
  outboxLimit = Infinity;

  private queue(params: Record<string, unknown>): OutboxMessage {
    if (this.outbox.length >= this.outboxLimit) {
      throw new ClawError('OUTBOX_FULL', 'outbox full: 3 messages to this peer are waiting');
    }
    const now = new Date().toISOString();
    const m: OutboxMessage = {
      id: newId(),
      peer: params.peer === LAPTOP.name ? LAPTOP : OFFICE,
      topic: (params.topic as string | undefined) ?? 'default',
      size: Buffer.byteLength((params.text as string | undefined) ?? ''),
      state: 'queued',
      sentAt: now,
      stateAt: now,
      expiresAt: now,
      ...(params.replyTo ? { replyTo: params.replyTo as string } : {}),
    };
    this.outbox.push(m);
    this.onSend(m, params);
    return { ...m };
  }

  private call(method: string, params: Record<string, unknown>): Promise<unknown> {
    this.calls.push({ method, params });
    switch (method) {
      case 'messages.sendMany': {
        // As the agent does: in order until one does not fit; it and those after it are not queued.
        const queued: OutboxMessage[] = [];
        for (const m of params.messages as Record<string, unknown>[]) {
          try {
            queued.push(this.queue({ peer: params.peer, ...m }));
          } catch (err) {
            const { code, message } = err as ClawError;
            return Promise.resolve({ queued, error: { code, message } });
          }
        }
        return Promise.resolve({ queued });
      }
      case 'messages.send': {
        try {
          return Promise.resolve(this.queue(params));
        } catch (err) {
          return Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
      case 'messages.list': {
        this.onList();
        const list = this.inbox.filter(
          (m) =>
            (!params.unread || !m.read) &&
            (params.topic === undefined || m.topic === params.topic) &&
            (params.from === undefined || m.from.name === params.from) &&
            (params.after === undefined || m.id > (params.after as string)),
        );
        return Promise.resolve(list.slice(0, this.pageSize).map((m) => ({ ...m })));
      }
      case 'messages.ack': {
        let acked = 0;
        for (const m of this.inbox)
          if ((params.ids as string[]).includes(m.id) && !m.read) {
            m.read = true;
            acked++;
          }
        return Promise.resolve({ acked });
      }
      case 'messages.outbox': {
        // As the agent answers: the newest `limit` (default 1000) of those that match.
        const ids = params.ids as string[] | undefined;
        const list = this.outbox.filter((m) => !ids || ids.includes(m.id));
        return Promise.resolve(
          list.slice(-((params.limit as number | undefined) ?? 1000)).map((m) => ({ ...m })),
        );
      }
      case 'messages.delete': {
        const ids = params.ids as string[];
        const before = this.outbox.length + this.inbox.length;
        for (const box of [this.outbox, this.inbox] as { id: string }[][]) {
          for (let i = box.length - 1; i >= 0; i--) if (ids.includes(box[i]!.id)) box.splice(i, 1);
        }
        return Promise.resolve({ deleted: before - this.outbox.length - this.inbox.length });
      }
      case 'peers.list':
        return Promise.resolve([OFFICE, LAPTOP]);
      default:
        return Promise.reject(new Error(`unexpected ${method}`));
    }
  }

  emit(event: string, data: unknown): void {
    for (const l of [...this.listeners]) l(event, data);
  }

  /** A message arrives in the inbox (and its event is pushed unless `quiet`). */
  receive(m: Partial<InboxMessage> & { text?: string }, quiet = false): InboxMessage {
    const now = new Date().toISOString();
    const full: InboxMessage = {
      id: newId(),
      from: OFFICE,
      topic: 'default',
      sentAt: now,
      receivedAt: now,
      // Within its TTL (serve leaves one past it unread).
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      read: false,
      ...m,
    };
    this.inbox.push(full);
    if (!quiet) this.emit('message', { ...full });
    return full;
  }

  setState(id: string, state: MessageState, why?: OutboxMessage['why']): void {
    const m = this.outbox.find((x) => x.id === id)!;
    m.state = state;
    if (why) m.why = why;
    this.emit('message.state', { ...m });
  }

  close(): void {
    for (const c of [...this.closers]) c();
  }

  acked(): string[] {
    return this.calls.filter((c) => c.method === 'messages.ack').flatMap((c) => c.params.ids as string[]);
  }
}

const later = (fn: () => void, ms = 5) => void setTimeout(fn, ms);

test('send --wait delivered: resolves on the receipt, also one that came before the send answered', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  agent.onSend = (m) =>
    later(() => {
      agent.setState(m.id, 'sent');
      later(() => agent.setState(m.id, 'delivered'));
    });
  const [m] = await client.sendAll('office', [{ text: 'hi' }], { wait: 'delivered', timeoutMs: 5000 });
  assert.equal(m!.state, 'delivered');

  // The receipt before the answer: the event is pushed while `messages.send` is being answered.
  agent.onSend = (m) => {
    m.state = 'read';
    agent.emit('message.state', { ...m, state: 'read' });
  };
  const fast = await client.send('office', 'again', { wait: 'read', timeoutMs: 5000 });
  assert.equal(fast.state, 'read');
});

test('a refusal ends the wait at once with the state and why; nothing else is waited for', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  agent.onSend = (m) =>
    later(() =>
      agent.setState(m.id, 'refused', {
        code: 'PERMISSION_DENIED',
        reason: 'office does not allow this node message; `clawbridge peers allow NAME message` there',
      }),
    );
  const started = Date.now();
  await assert.rejects(
    client.send('office', 'hi', { wait: 'delivered', timeoutMs: 30_000 }),
    (err: unknown) => {
      assert.ok(err instanceof MessageStateError, 'err instanceof MessageStateError');
      assert.equal(err.code, 'MESSAGE_REFUSED');
      assert.match(
        err.message,
        /^message \S+ to office was refused: office does not allow .* \(PERMISSION_DENIED\)$/,
      );
      assert.equal(err.messages[0]!.state, 'refused');
      return true;
    },
  );
  assert.ok(Date.now() - started < 10_000, 'not the whole timeout');
});

test('no receipt in time: TIMEOUT saying the state, that it stays queued, and msg outbox as the hint', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  await assert.rejects(client.send('office', 'hi', { wait: 'delivered', timeoutMs: 100 }), (err: unknown) => {
    assert.ok(err instanceof MessageStateError, 'err instanceof MessageStateError');
    assert.equal(err.code, 'TIMEOUT');
    assert.match(
      err.message,
      /^no delivered receipt within 100 ms: message \S+ to office is queued; it stays in the outbox/,
    );
    assert.deepEqual(err.hint?.argv, ['msg', 'outbox']);
    return true;
  });
  // Delivered but not read: said as that.
  agent.onSend = (m) => agent.setState(m.id, 'delivered');
  await assert.rejects(
    client.send('office', 'hi', { wait: 'read', timeoutMs: 100 }),
    /no read receipt within 100 ms: message \S+ to office is delivered; no program there has taken it yet/,
  );
});

test('waiting for more than the agent lists by default: receipts that came before the wait still count', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const sent = await client.sendAll(
    'office',
    Array.from({ length: 1100 }, (_, i) => ({ text: `${i}` })),
  );
  // Delivered before anyone waited (no events followed yet): only the listing knows.
  for (const m of agent.outbox) m.state = 'delivered';
  const done = await client.waitFor(
    sent.map((m) => m.id),
    'delivered',
    1000,
  );
  assert.equal(done.length, 1100);
});

test('send --lines: bodies in order, in one messages.sendMany; an oversized one queues none', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const sent = await client.sendMany('office', [{ text: '1' }, { text: '2' }, { text: '3' }], { topic: 't' });
  assert.deepEqual(
    agent.calls.map((c) => c.method),
    ['messages.sendMany'],
  );
  assert.deepEqual(
    (agent.calls[0]!.params.messages as { text: string }[]).map((m) => m.text),
    ['1', '2', '3'],
  );
  assert.deepEqual(
    sent.map((m) => m.topic),
    ['t', 't', 't'],
  );
  await assert.rejects(
    client.sendAll('office', [{ text: 'ok' }, { text: 'x'.repeat(2 * 1024 * 1024) }]),
    /message 2 of 2 is 2097152 bytes; a message body is at most 1 MiB/,
  );
  assert.equal(agent.outbox.length, 3, 'nothing more was queued');
});

test('listen: unread ones first, oldest first, then new ones; each once, acknowledged after it was handled', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const old1 = agent.receive({ topic: 'jobs', text: 'one' }, true);
  agent.receive({ topic: 'jobs', text: 'seen', read: true }, true);
  agent.receive({ topic: 'other', text: 'not mine' }, true);
  const old2 = agent.receive({ topic: 'jobs', text: 'two' }, true);
  // A message arriving while the listing is answered is in the listing and in an event.
  let crossing: InboxMessage | undefined;
  agent.onList = () => {
    crossing ??= agent.receive({ topic: 'jobs', text: 'crossing' });
  };
  const got: string[] = [];
  const ackedWhenHandled: number[] = [];
  const listening = client.listen({ topic: 'jobs' }, (m) => {
    ackedWhenHandled.push(agent.acked().length);
    got.push(m.text!);
  });
  await listening.ready;
  agent.receive({ topic: 'jobs', text: 'three' });
  agent.receive({ topic: 'other', text: 'not mine either' });
  agent.receive({ topic: 'jobs', text: 'four' });
  await until('got.length >= 5', () => got.length >= 5);
  await listening.stop();
  assert.deepEqual(got, ['one', 'two', 'crossing', 'three', 'four']);
  // Acknowledged once handled, never before; the next is not held up waiting for an ack.
  ackedWhenHandled.forEach((n, i) => assert.ok(n <= i, `message ${i} handled after ${n} acks`));
  assert.equal(agent.acked().length, 5, 'every one acknowledged by the time stop returned');
  assert.deepEqual(agent.acked().slice(0, 3), [old1.id, old2.id, crossing!.id]);
  await listening.done;
});

test('listen: an unread listing cut short by the agent is asked again after its last message', async () => {
  const agent = new FakeAgent();
  agent.pageSize = 2;
  const texts = ['1', '2', '3', '4', '5'];
  for (const text of texts) agent.receive({ text }, true);
  const got: string[] = [];
  const listening = new MessagesClient(agent.connection).listen({}, (m) => void got.push(m.text!));
  await listening.ready;
  await until('got.length >= 5', () => got.length >= 5);
  await listening.stop();
  assert.deepEqual(got, texts);
});

test('listen --from: only that peer, matched by fingerprint whatever name the ref used', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const got: string[] = [];
  const listening = client.listen({ from: 'OFFICE' }, (m) => void got.push(m.text!));
  await listening.ready;
  agent.receive({ from: LAPTOP, text: 'from laptop' });
  agent.receive({ from: OFFICE, text: 'from office' });
  await until('got.length >= 1', () => got.length >= 1);
  await listening.stop();
  assert.deepEqual(got, ['from office']);
});

test('listen ends with NO_AGENT when the agent goes away; stop() ends it quietly', async () => {
  const agent = new FakeAgent();
  const listening = new MessagesClient(agent.connection).listen({}, () => undefined);
  await listening.ready;
  agent.close();
  await assert.rejects(listening.done, (err: unknown) => isClawError(err, 'NO_AGENT'));
  await listening.stop(); // after a failure: no second error
});

test('ask: the reply is the message whose replyTo is the question, even one before the send answered', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  agent.onSend = (m) => {
    agent.receive({ topic: m.topic, text: 'not this', replyTo: newId() });
    agent.receive({ topic: m.topic, text: 'HELLO', replyTo: m.id });
  };
  const reply = await client.ask('office', 'hello', { topic: 'upper', timeoutMs: 5000 });
  assert.equal(reply.text, 'HELLO');
  assert.deepEqual(agent.acked(), [reply.id]);
  // An error reply is a reply: returned with its flag, for the caller to report.
  agent.onSend = (m) =>
    later(() => agent.receive({ topic: m.topic, text: 'exit status 1', replyTo: m.id, error: true }));
  const failed = await client.ask('office', 'x', { topic: 'upper', timeoutMs: 5000 });
  assert.equal(failed.error, true);
});

test('ask without a reply in time: an undelivered question is withdrawn; a delivered one names serve', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  await assert.rejects(client.ask('office', 'q', { topic: 'upper', timeoutMs: 100 }), (err: unknown) => {
    assert.ok(isClawError(err, 'TIMEOUT'), "isClawError(err, 'TIMEOUT')");
    assert.match(
      err.message,
      /^no reply from office within 100 ms: the question was not delivered \(queued\), so it was withdrawn$/,
    );
    return true;
  });
  assert.equal(agent.outbox.length, 0, 'deleted from the outbox');
  agent.onSend = (m) => agent.setState(m.id, 'delivered');
  await assert.rejects(client.ask('office', 'q', { topic: 'upper', timeoutMs: 100 }), (err: unknown) => {
    assert.ok(isClawError(err, 'TIMEOUT'), "isClawError(err, 'TIMEOUT')");
    assert.match(err.message, /it has the question \(delivered\), but nothing there answered topic upper/);
    assert.deepEqual(err.hint?.argv, ['msg', 'serve', '--topic', 'upper', '--', 'CMD']);
    assert.equal(err.hint?.where, 'peer');
    return true;
  });
  assert.equal(agent.outbox.length, 1, 'a delivered question stays');
});

test('serve: answers questions on its topic as replies, not replies; a failed answer is an error reply', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const q1 = agent.receive({ topic: 'upper', text: 'abc' }, true);
  agent.receive({ topic: 'upper', text: 'a reply to our own question', replyTo: newId() }, true);
  agent.receive({ topic: 'other', text: 'not served' }, true);
  const answered: string[] = [];
  const listening = client.serve(
    { topic: 'upper' },
    (m) =>
      m.text === 'fail'
        ? Promise.reject(new Error('it broke'))
        : Promise.resolve({ body: m.text!.toUpperCase() }),
    (m) => void answered.push(m.id),
  );
  await listening.ready;
  const q2 = agent.receive({ topic: 'upper', text: 'fail', from: LAPTOP });
  await until('answered.length >= 2', () => answered.length >= 2);
  await listening.stop();
  assert.deepEqual(answered, [q1.id, q2.id]);
  const replies = agent.calls.filter((c) => c.method === 'messages.send').map((c) => c.params);
  assert.deepEqual(replies, [
    { peer: OFFICE.fingerprint, text: 'ABC', topic: 'upper', replyTo: q1.id },
    { peer: LAPTOP.fingerprint, text: 'it broke', topic: 'upper', replyTo: q2.id, error: true },
  ]);
  assert.deepEqual(agent.acked(), [q1.id, q2.id]);
});

test('sends called in one tick go in messages.sendMany requests of at most 1000, each resolved with its own message, IDs in call order', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const sent = await Promise.all(
    Array.from({ length: 2500 }, (_, i) => client.send('office', `m${i}`, { topic: 'bulk' })),
  );
  const requests = agent.calls.filter((c) => c.method.startsWith('messages.send'));
  assert.deepEqual(
    requests.map((c) => [c.method, (c.params.messages as unknown[]).length]),
    [
      ['messages.sendMany', 1000],
      ['messages.sendMany', 1000],
      ['messages.sendMany', 500],
    ],
  );
  assert.deepEqual(
    sent.map((m) => m.id),
    agent.outbox.map((m) => m.id),
  );
  assert.deepEqual(
    sent.map((m) => m.id),
    [...sent.map((m) => m.id)].sort(),
  );
  // A lone send is one messages.send, as before.
  await client.send('office', 'alone');
  assert.equal(agent.calls.at(-1)!.method, 'messages.send');
});

test('a batch the outbox stops partway: those before resolve, it and those after fail as each would alone; a bad one fails alone, before any request', async () => {
  const agent = new FakeAgent();
  agent.outboxLimit = 3;
  const client = new MessagesClient(agent.connection);
  const results = await Promise.allSettled([
    client.send('office', 'a'),
    client.send('office', 'b', { topic: 'bad topic!' }),
    client.send('office', 'c'),
    client.send('office', 'd'),
    client.send('office', 'e'),
  ]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? 'queued' : (r.reason as { code: string }).code)),
    ['queued', 'BAD_ARGUMENT', 'queued', 'queued', 'OUTBOX_FULL'],
  );
  assert.match(
    ((results[1] as PromiseRejectedResult).reason as Error).message,
    /^topic: .*nothing was queued$/,
  );
  assert.deepEqual(
    agent.calls.map((c) => c.method),
    ['messages.sendMany'],
    'the bad one never reached the agent',
  );
});

test('sendMany: a list longer than a request goes one request at a time; once the outbox is full the rest is not sent, and the error carries those queued', async () => {
  const agent = new FakeAgent();
  agent.outboxLimit = 1500;
  const client = new MessagesClient(agent.connection);
  let answered = 0;
  const inFlightAtCall: number[] = [];
  const call = agent.connection.call.bind(agent.connection);
  (agent.connection as { call: typeof call }).call = async (method: never, params: never) => {
    inFlightAtCall.push(agent.calls.length - answered);
    try {
      return await call(method, params);
    } finally {
      answered++;
    }
  };
  const bodies = Array.from({ length: 3500 }, (_, i) => ({ text: `line ${i}` }));
  await assert.rejects(client.sendMany('office', bodies), (err: unknown) => {
    assert.ok(err instanceof PartlyQueuedError, 'err instanceof PartlyQueuedError');
    assert.equal(err.code, 'OUTBOX_FULL');
    assert.equal(err.queued.length, 1500);
    assert.match(err.message, /\(1500 of 3500 messages were queued before that; the rest were not\)$/);
    return true;
  });
  assert.deepEqual(inFlightAtCall, [0, 0], 'the second request only once the first was answered');
  assert.equal(agent.calls.length, 2, 'the third request was never sent');
  assert.deepEqual(
    agent.outbox.map((m) => m.size),
    bodies.slice(0, 1500).map((b) => Buffer.byteLength(b.text)),
  );
});

test('an agent without messages.sendMany: each message goes as messages.send, in order', async () => {
  const agent = new FakeAgent();
  const call = agent.connection.call.bind(agent.connection);
  (agent.connection as { call: typeof call }).call = (method: string, params: never) =>
    method === 'messages.sendMany'
      ? Promise.reject(new ClawError('BAD_ARGUMENT', "unknown method 'messages.sendMany'"))
      : call(method as never, params);
  const client = new MessagesClient(agent.connection);
  const sent = await Promise.all(['1', '2', '3'].map((t) => client.send('office', t)));
  assert.deepEqual(
    agent.calls.map((c) => c.params.text),
    ['1', '2', '3'],
  );
  assert.deepEqual(
    sent.map((m) => m.id),
    agent.outbox.map((m) => m.id),
  );
});

test('message.states (batched changes by ID): a wait for 2,000 receipts counts them as they come; a refusal in a change ends it with the why; the client asks for them (ADR 0059)', async () => {
  const agent = new FakeAgent();
  const client = new MessagesClient(agent.connection);
  const sent = await client.sendAll(
    'office',
    Array.from({ length: 2000 }, (_, i) => ({ text: `${i}` })),
  );
  const ids = sent.map((m) => m.id);
  const change = (state: MessageState, list: string[], why?: OutboxMessage['why']) => {
    for (const m of agent.outbox) if (list.includes(m.id)) m.state = state;
    agent.emit('message.states', {
      changes: [
        { ids: list, peer: OFFICE, state, stateAt: new Date().toISOString(), ...(why ? { why } : {}) },
      ],
    });
  };
  const waiting = client.waitFor(ids, 'delivered', 5000);
  await until('the client to follow events', () => agent.subscribedWith.length > 0);
  assert.deepEqual(agent.subscribedWith, [{ messageStates: 'batched', messages: 'batched' }]);
  change('sent', ids);
  for (let i = 0; i < ids.length; i += 500) {
    change('delivered', ids.slice(i, i + 500));
    await new Promise((r) => setImmediate(r));
  }
  const done = await waiting;
  assert.equal(done.length, 2000);
  assert.ok(
    done.every((m, i) => m.state === 'delivered' && m.id === ids[i] && m.topic === 'default'),
    "done.every((m, i) => m.state === 'delivered' && m.id === ids[i] && m.topic === 'default')",
  );

  const [lone] = await client.sendAll('office', [{ text: 'no' }]);
  const refused = client.waitFor([lone!.id], 'delivered', 5000);
  await until('the waiter to list the message', () =>
    agent.calls.some((c) => c.method === 'messages.outbox' && (c.params.ids as string[]).includes(lone!.id)),
  );
  change('refused', [lone!.id], {
    code: 'PERMISSION_DENIED',
    reason: 'office does not allow this node message',
  });
  await assert.rejects(refused, (err: unknown) => {
    assert.ok(err instanceof MessageStateError, 'err instanceof MessageStateError');
    assert.equal(err.code, 'MESSAGE_REFUSED');
    assert.match(
      err.message,
      /to office was refused: office does not allow this node message \(PERMISSION_DENIED\)/,
    );
    assert.equal(err.messages[0]!.why?.code, 'PERMISSION_DENIED');
    return true;
  });
});
