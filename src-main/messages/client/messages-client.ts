/**
 * A program's side of the messages API: send and wait for a receipt, ask and wait for the reply,
 * and the entries to listen (listener.ts) and serve a topic (serve-loop.ts). Built on one control
 * connection that needs only `call`, `onEvent` and `onClose` (the CLI's `msg` commands and the client
 * library, agent-client.ts, both use it; tests hand it a fake).
 */
import { ClawError } from '../../core/errors.js';
import { MAX_MESSAGE_TTL_MS, MIN_MESSAGE_TTL_MS } from '../../protocol/message-frames.js';
import type { InboxMessage, MessageStatesEvent, OutboxMessage } from '../messages-contract.js';
import { sendItemProblem, type SendItem } from '../send-item.js';
import { inboxMessageOfRow, type MessagesEvent } from '../compact-inbox.js';
import {
  bodyParams,
  checkBodySizes,
  failedState,
  isReplyTo,
  laterOf,
  reached,
  type AwaitedState,
  type BodyParams,
  type MessageBody,
} from '../message-bodies.js';
import {
  DEFAULT_WAIT_MS,
  EVENT_OPTIONS,
  IDS_PER_CALL,
  type ControlConnection,
  type ListenOptions,
  type Listening,
  type SendOptions,
  type ServeAnswer,
  type WaitOptions,
} from './client-types.js';
import { Listener } from './listener.js';
import { MessagesCalls } from './messages-calls.js';
import {
  failedError,
  timeoutError,
  unansweredQuestionError,
  undeliveredQuestionError,
} from './receipt-errors.js';
import { PartlyQueuedError, SendBatcher, type SendGroup } from './send-batcher.js';
import { serveTopic, type ServeOptions } from './serve-loop.js';
import { ReportedStates, type StateReport } from './state-reports.js';

export {
  DEFAULT_WAIT_MS,
  listenMemory,
  type ControlConnection,
  type ListenMemory,
  type ListenOptions,
  type Listening,
  type SendOptions,
  type ServeAnswer,
  type WaitOptions,
} from './client-types.js';
export { MessageStateError } from './receipt-errors.js';
export { PartlyQueuedError } from './send-batcher.js';

export class MessagesClient extends MessagesCalls {
  /** Latest state report per message ID, while state events are followed. */
  private readonly states = new ReportedStates();
  /** Called on every state report, reply and the connection's end: whoever waits looks again. */
  private readonly wakers = new Set<() => void>();
  /** Replies by the ID they answer, while someone asks (ask()). */
  private readonly replies = new Map<string, InboxMessage>();
  private asking = 0;
  private followingEvents = false;
  private gone = false;
  /** Set by endHere(): the connection closes because this side asked, not because the agent left. */
  private ending = false;

  /** Sends waiting to go to the agent, and the one request answering at a time (send-batcher.ts). */
  private readonly batcher: SendBatcher;

  constructor(control: ControlConnection) {
    super(control);
    this.batcher = new SendBatcher(control);
    control.onClose(() => {
      this.gone = true;
      this.wakeAll();
    });
  }

  /** Called before this side closes the connection: listeners then end quietly. */
  protected endHere(): void {
    this.ending = true;
  }

  /** True when this side is closing the connection (AgentClient.close()). */
  get endingHere(): boolean {
    return this.ending;
  }

  /**
   * Queues one message; resolves once it is durable in the outbox, or with `wait` once that receipt
   * came (see waitFor for what fails). Sends made in the same tick (a program pipelining them, or
   * while the previous batch was being answered) go to the agent together in `messages.sendMany`
   * requests, in the order called: one disk flush and one answer for many, each call still resolved
   * with its own message only once that is durable, and failed as it would have failed alone.
   */
  async send(
    peer: string,
    body: MessageBody | BodyParams,
    opts: SendOptions & WaitOptions = {},
  ): Promise<OutboxMessage> {
    const params = typeof body === 'string' || body instanceof Uint8Array ? bodyParams(body) : body;
    checkBodySizes([params]);
    if (opts.wait) this.followEvents();
    const sent = await this.sendOne(peer, params, opts);
    if (!opts.wait) return sent;
    return (await this.waitFor([sent.id], opts.wait, opts.timeoutMs ?? DEFAULT_WAIT_MS))[0]!;
  }

  /**
   * One message to the batcher: sendBatches for one body, without its lists and their promises (a
   * program pipelining 10,000 sends keeps them all alive until their batch is answered).
   */
  private sendOne(peer: string, body: BodyParams, opts: SendOptions): Promise<OutboxMessage> {
    const message = sendItem(body, opts);
    const problem = sendItemProblem(message);
    if (problem) throw new ClawError('BAD_ARGUMENT', `${problem}: nothing was queued`);
    return new Promise<OutboxMessage>((resolve, reject) =>
      this.batcher.add({ peer, message, group: undefined, resolve, reject }),
    );
  }

  /**
   * Queues several messages in order (their IDs keep it), in requests of at most MESSAGE_BATCH_MAX
   * messages and MESSAGE_BATCH_MAX_BYTES of bodies, each queued all or none. Every body is checked
   * against the 1 MiB limit first, so an oversized one queues none of them. When a request fails the
   * messages after it are not sent: the error is a PartlyQueuedError carrying those queued before it
   * when there were any. With `wait`, resolves once every one has that receipt.
   */
  async sendMany(
    peer: string,
    bodies: readonly BodyParams[],
    opts: SendOptions & WaitOptions = {},
  ): Promise<OutboxMessage[]> {
    checkBodySizes(bodies);
    if (bodies.length === 0) return [];
    if (opts.wait) this.followEvents();
    const sent = await this.sendBatches(peer, bodies, opts, true);
    if (!opts.wait) return sent;
    return this.waitFor(
      sent.map((m) => m.id),
      opts.wait,
      opts.timeoutMs ?? DEFAULT_WAIT_MS,
    );
  }

  /** sendMany's earlier name. */
  sendAll(
    peer: string,
    bodies: readonly BodyParams[],
    opts: SendOptions & WaitOptions = {},
  ): Promise<OutboxMessage[]> {
    return this.sendMany(peer, bodies, opts);
  }

  /** Hands `bodies` to the batcher; `together`: one list, the rest not sent once one fails. */
  private async sendBatches(
    peer: string,
    bodies: readonly BodyParams[],
    opts: SendOptions,
    together: boolean,
  ): Promise<OutboxMessage[]> {
    const messages = bodies.map((body, i): SendItem => {
      const message = sendItem(body, opts);
      // Checked before any is queued, as the agent would check it.
      const problem = sendItemProblem(message);
      if (problem) {
        const which = bodies.length > 1 ? `message ${i + 1} of ${bodies.length}: ` : '';
        throw new ClawError('BAD_ARGUMENT', `${which}${problem}: nothing was queued`);
      }
      return message;
    });
    const group: SendGroup | undefined = together ? { failed: undefined, busy: false } : undefined;
    const items = messages.map(
      (message) =>
        new Promise<OutboxMessage>((resolve, reject) =>
          this.batcher.add({ peer, message, group, resolve, reject }),
        ),
    );
    const settled = await Promise.allSettled(items);
    const queued: OutboxMessage[] = [];
    for (const r of settled) {
      if (r.status === 'fulfilled') queued.push(r.value);
      else throw queued.length > 0 ? new PartlyQueuedError(r.reason, queued, bodies.length) : r.reason;
    }
    return queued;
  }

  /**
   * Follows state changes and arriving messages (each form of their events) from now on. Called
   * before a send whose receipt or reply will be awaited: either may come before the send's own answer.
   */
  followEvents(): void {
    if (this.followingEvents) return;
    this.followingEvents = true;
    this.control.onEvent((event, data) => {
      if (event === 'message.state') {
        const m = data as OutboxMessage;
        this.states.report(m.id, { state: m.state, stateAt: m.stateAt, why: m.why, peer: m.peer, whole: m });
      } else if (event === 'message.states') {
        for (const c of (data as MessageStatesEvent).changes) {
          const report: StateReport = { state: c.state, stateAt: c.stateAt, why: c.why, peer: c.peer };
          for (const id of c.ids) this.states.report(id, report);
        }
      } else if (event === 'message') {
        const m = data as InboxMessage;
        if (this.asking === 0 || m.replyTo === undefined) return;
        this.replies.set(m.replyTo, m);
      } else if (event === 'messages') {
        if (this.asking === 0) return;
        const batch = data as MessagesEvent;
        for (const row of batch.rows) {
          const m = row[9] !== undefined && row[9] !== null ? inboxMessageOfRow(row, batch) : undefined;
          if (m?.replyTo !== undefined) this.replies.set(m.replyTo, m);
        }
      } else return;
      this.wakeAll();
    }, EVENT_OPTIONS);
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** Resolves after `ms`, or sooner when an event came or the connection closed. */
  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private checkOpen(what: string): void {
    if (this.gone) throw new ClawError('NO_AGENT', `the agent stopped while waiting for ${what}`);
  }

  /**
   * Waits until every message of `ids` has the `wanted` receipt (`read` counts for `delivered`).
   * Call followEvents() before sending them.
   * @returns the messages as they are then
   * @throws MessageStateError MESSAGE_REFUSED / MESSAGE_EXPIRED as soon as one is refused or expired,
   *   TIMEOUT when `timeoutMs` passed first (each with every message's state and why)
   */
  async waitFor(ids: readonly string[], wanted: AwaitedState, timeoutMs: number): Promise<OutboxMessage[]> {
    this.followEvents();
    const deadline = Date.now() + timeoutMs;
    // Once, in case a report came before anyone followed them; events are newer from then on.
    const listed = new Map<string, OutboxMessage>();
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const chunk = ids.slice(i, i + IDS_PER_CALL);
      for (const m of await this.outbox({ ids: chunk, limit: chunk.length })) listed.set(m.id, m);
    }
    const current = (id: string) => this.states.stateOf(id, listed.get(id));
    // Kept count of as reports come (each looked at once), not by going over every ID on each event.
    const left = new Set(ids);
    let failed: OutboxMessage | undefined;
    const look = (id: string) => {
      if (failed || !left.has(id)) return;
      const report = this.states.reported(id);
      const listing = listed.get(id)?.state;
      const state = report && listing ? laterOf(listing, report) : (report ?? listing);
      if (state && failedState(state)) failed = current(id);
      else if (state && reached(state, wanted)) left.delete(id);
    };
    const unwatch = this.states.watch(look);
    try {
      for (const id of ids) look(id);
      for (;;) {
        if (failed) throw failedError(failed, ids.map(current));
        if (left.size === 0) return ids.map(current) as OutboxMessage[];
        this.checkOpen(`${wanted} receipts`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw timeoutError(ids.map(current), ids, wanted, timeoutMs);
        await this.nap(remaining);
      }
    } finally {
      unwatch();
    }
  }

  /**
   * Takes messages as they arrive, the unread ones first (oldest first), each handed to `handler` one
   * at a time and then marked read. Every message is handled once, however the listing and the events
   * cross.
   */
  listen(opts: ListenOptions, handler: (m: InboxMessage) => void | Promise<void>): Listening {
    return new Listener(this, this.control, opts, handler);
  }

  /**
   * Sends `body` and waits for the reply (the inbox message whose replyTo is its ID), marks it read
   * and returns it; `error: true` on it says the other side failed. A question not yet delivered when
   * the time runs out is withdrawn (deleted from the outbox).
   *
   * The question carries the asker's deadline as its TTL (askTtl): without `ttlMs` it expires when
   * this call stops waiting, so a server that comes later never runs it and nobody is answered in
   * vain. A `ttlMs` given keeps it answerable that long (the reply then waits in this node's inbox).
   * @throws MessageStateError TIMEOUT with the question's state, or MESSAGE_REFUSED / MESSAGE_EXPIRED
   */
  async ask(
    peer: string,
    body: MessageBody | BodyParams,
    opts: SendOptions & { timeoutMs?: number } = {},
  ): Promise<InboxMessage> {
    this.followEvents();
    this.asking++;
    const { timeoutMs = DEFAULT_WAIT_MS, ttlMs, ...sendOpts } = opts;
    let sent: OutboxMessage | undefined;
    try {
      sent = await this.send(peer, body, { ...sendOpts, ttlMs: ttlMs ?? askTtl(timeoutMs) });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const reply = this.replies.get(sent.id);
        if (reply) return await this.took(reply);
        const state = this.states.stateOf(sent.id, sent);
        if (state && failedState(state.state)) throw failedError(state, [state]);
        this.checkOpen('the reply');
        const left = deadline - Date.now();
        if (left <= 0) break;
        await this.nap(left);
      }
      // The last look: a reply whose event was missed is in the inbox all the same.
      const id = sent.id;
      const late = (await this.list({ topic: sent.topic })).find((m) => isReplyTo(m, id));
      if (late) return await this.took(late);
      throw await this.noReply(sent, timeoutMs);
    } finally {
      this.asking--;
      if (sent) this.replies.delete(sent.id);
      if (this.asking === 0) this.replies.clear();
    }
  }

  /** A reply ask() returns, marked read first. */
  private async took(reply: InboxMessage): Promise<InboxMessage> {
    await this.ack([reply.id]);
    return reply;
  }

  /** The error for a question nobody answered in time; withdraws it when it was not delivered yet. */
  private async noReply(sent: OutboxMessage, timeoutMs: number): Promise<ClawError> {
    const [now = sent] = await this.outbox({ ids: [sent.id] }).catch(() => [sent]);
    if (reached(now.state, 'delivered') || failedState(now.state))
      return unansweredQuestionError(now, timeoutMs);
    await this.delete([sent.id]).catch(() => 0);
    return undeliveredQuestionError(now, timeoutMs);
  }

  /**
   * Answers each message on `topic` (unread ones first; not replies, which belong to `ask`) with what
   * `answer` returns, sent back as a reply on the same topic, then marks it read. A throw from
   * `answer` is replied as an error with its message. A message past its TTL (a question whose asker
   * stopped waiting: ask() gives it the asker's deadline) is not answered nor marked read: it is
   * left to expire, and `onExpired` hears of it.
   */
  serve(
    opts: ServeOptions,
    answer: (m: InboxMessage) => Promise<ServeAnswer>,
    onAnswered?: (m: InboxMessage, reply: OutboxMessage, error: boolean) => void,
    onExpired: (m: InboxMessage) => void = () => undefined,
  ): Listening {
    return serveTopic(this, opts, answer, onAnswered, onExpired);
  }
}

/**
 * The TTL a question gets when its asker waits `timeoutMs`: the same span, so it expires as the asker
 * stops waiting (TTL counts from the question's ID time, taken as it was queued), within the TTLs a
 * message may have.
 */
export function askTtl(timeoutMs: number): number {
  return Math.min(MAX_MESSAGE_TTL_MS, Math.max(MIN_MESSAGE_TTL_MS, Math.ceil(timeoutMs)));
}

/** A body with the options that go with it, as `messages.send(Many)` takes them (set, not spread: one object). */
function sendItem(body: BodyParams, opts: SendOptions): SendItem {
  const message: SendItem = { ...body };
  if (opts.topic !== undefined) message.topic = opts.topic;
  if (opts.ttlMs !== undefined) message.ttlMs = opts.ttlMs;
  if (opts.replyTo !== undefined) message.replyTo = opts.replyTo;
  if (opts.error) message.error = true;
  return message;
}
