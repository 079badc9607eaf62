/**
 * A program's side of the messages API: send and wait for a receipt, listen (unread ones
 * first, then each `message` event), ask and wait for the reply, serve a topic. Built on one control
 * connection that needs only `call`, `onEvent` and `onClose` (the CLI's `msg` commands and the client
 * library, api/client.ts, both use it; tests hand it a fake).
 */
/* eslint-disable import-x/no-restricted-paths -- the messages client side moves to messages/client/ with it (another branch); until then it stays here and reaches up */
import { ClawError, errorMessage } from '../core/errors.js';
import { commandIn, hereHint, peerHint, type Hint } from '../core/hint.js';
import { MAX_MESSAGE_TTL_MS, MIN_MESSAGE_TTL_MS } from '../protocol/message-frames.js';
import type { ControlEventListener } from './control-client.js';
import type { EventOptions, MethodName, MethodParams, MethodResults } from './contract.js';
import type {
  InboxMessage,
  MessagePeer,
  MessageState,
  MessageStatesEvent,
  MessageWhy,
  OutboxMessage,
} from '../messages/messages-contract.js';
import {
  PartlyQueuedError,
  SendBatcher,
  sendItemProblem,
  type SendGroup,
  type SendItem,
} from '../messages/client/send-batcher.js';
import {
  bodyParams,
  checkBodySizes,
  describeState,
  failedState,
  isReplyTo,
  laterOf,
  laterState,
  reached,
  seconds,
  type AwaitedState,
  type BodyParams,
  type MessageBody,
} from '../messages/client/message-bodies.js';

/** What the messages client needs of a control connection (api/control-client.ts ControlClient). */
export interface ControlConnection {
  call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    timeoutMs?: number,
  ): Promise<MethodResults[M]>;
  /** `options` as ControlClient.onEvent takes them: the first subscription's are the connection's. */
  onEvent(listener: ControlEventListener, options?: EventOptions): () => void;
  onClose(listener: () => void): () => void;
}

/**
 * How this client subscribes (ADR 0059): outbox changes as `message.states`, many per event; an older
 * agent sends `message.state` ones instead, and both are taken.
 */
const EVENT_OPTIONS: EventOptions = { messageStates: 'batched' };

/** The latest state report of one message: from a `message.state` (whole) or a `message.states` change. */
interface StateReport {
  state: MessageState;
  stateAt: string;
  why?: MessageWhy | undefined;
  peer: MessagePeer;
  /** The whole message, when the report was one. */
  whole?: OutboxMessage;
}

export interface SendOptions {
  /** Default `default`. */
  topic?: string;
  /** Time to live in ms (1 s – 30 days; default 7 days). */
  ttlMs?: number;
  /** The message this one answers. */
  replyTo?: string;
  /** With replyTo: the answer reports a failure. */
  error?: boolean;
}

export interface WaitOptions {
  /** Resolve only once this receipt came (`read` counts for `delivered`). */
  wait?: AwaitedState;
  /** How long to wait for it, in ms (default 30 s). */
  timeoutMs?: number;
}

/** How long a send waits for its receipt, or an ask for its reply, unless told otherwise (30 s). */
export const DEFAULT_WAIT_MS = 30_000;

export interface ListenOptions {
  topic?: string;
  /** A peer's name or fingerprint (as every command takes it). */
  from?: string;
  /** Also replies to questions this node asked (default true; `serve` leaves them to `ask`). */
  replies?: boolean;
  /** Mark each message read once the handler returned (default true). */
  ack?: boolean;
  /**
   * Leave messages past their TTL to expire: each is given to this instead of the handler, as it
   * comes up, and is not marked read (`serve`: a question whose asker stopped waiting). Default: they
   * are handled like the others.
   */
  onExpired?: (m: InboxMessage) => void;
  /**
   * What a listener handled, kept across listeners: one that follows another (a new connection after
   * the agent restarted) hands none of those messages over again and acknowledges those whose
   * acknowledgement was lost. Default: a memory of its own.
   */
  memory?: ListenMemory;
}

/** What listeners sharing it handled (bounded: the newest SEEN_MEMORY), and what is still to acknowledge. */
export interface ListenMemory {
  readonly seen: Set<string>;
  readonly toAck: string[];
}

/** A fresh memory for listeners that follow one another (ListenOptions.memory). */
export function listenMemory(): ListenMemory {
  return { seen: new Set(), toAck: [] };
}

/** A running listener. */
export interface Listening {
  /** Stops taking messages; resolves once the one being handled and its receipt are done. */
  stop(): Promise<void>;
  /** Resolves once the unread messages are listed and events followed: nothing is missed from here on. */
  readonly ready: Promise<void>;
  /** Rejects when the agent goes away (or a handler throws); resolves after stop() or close(). */
  readonly done: Promise<void>;
}

/** A command's answer to a served message. */
export interface ServeAnswer {
  body: MessageBody | BodyParams;
  error?: boolean;
}

/** Most state reports remembered for messages nobody waits for yet (a send's answer may come after its receipt). */
const STATE_MEMORY = 10_000;
/** Most IDs one call takes (MESSAGE_IDS_MAX and MESSAGE_LIST_MAX in contract-messages.ts, not imported: zod). */
const IDS_PER_CALL = 10_000;
/** Most IDs remembered as handled by a listener, so an unread listing and the events cannot print one twice. */
const SEEN_MEMORY = 20_000;

/** A message refused or expired while a sender waited for its receipt; carries the messages as they are. */
export class MessageStateError extends ClawError {
  constructor(
    code: 'MESSAGE_REFUSED' | 'MESSAGE_EXPIRED' | 'TIMEOUT',
    message: string,
    readonly messages: OutboxMessage[],
    hint?: Hint,
  ) {
    super(code, message, hint ? { hint } : undefined);
    this.name = 'MessageStateError';
  }
}

export { PartlyQueuedError } from '../messages/client/send-batcher.js';

export class MessagesClient {
  /** Latest state report per message ID, while state events are followed (bounded, oldest dropped). */
  private readonly states = new Map<string, StateReport>();
  /** Called on every state report, reply and the connection's end: whoever waits looks again. */
  private readonly wakers = new Set<() => void>();
  /** Called with each message ID a state report came for, as it comes (waitFor keeps count with it). */
  private readonly watchers = new Set<(id: string) => void>();
  /** Replies by the ID they answer, while someone asks (ask()). */
  private readonly replies = new Map<string, InboxMessage>();
  private asking = 0;
  private followingEvents = false;
  private gone = false;
  /** Set by endHere(): the connection closes because this side asked, not because the agent left. */
  private ending = false;

  /** Sends waiting to go to the agent, and the one request answering at a time (send-batcher.ts). */
  private readonly batcher: SendBatcher;

  constructor(private readonly control: ControlConnection) {
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
    const [sent] = await this.sendBatches(peer, [params], opts, false);
    if (!opts.wait) return sent!;
    return (await this.waitFor([sent!.id], opts.wait, opts.timeoutMs ?? DEFAULT_WAIT_MS))[0]!;
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
      const message: SendItem = {
        ...body,
        ...(opts.topic !== undefined ? { topic: opts.topic } : {}),
        ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}),
        ...(opts.replyTo !== undefined ? { replyTo: opts.replyTo } : {}),
        ...(opts.error ? { error: true } : {}),
      };
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

  list(filter: MethodParams<'messages.list'> = {}): Promise<InboxMessage[]> {
    return this.control.call('messages.list', filter);
  }

  outbox(filter: MethodParams<'messages.outbox'> = {}): Promise<OutboxMessage[]> {
    return this.control.call('messages.outbox', filter);
  }

  /**
   * Every inbox message that matches (up to the newest 10,000), oldest first: an answer carries as
   * many bodies as fit the agent's budget, so the rest are asked for `after` its last.
   */
  async listAll(
    filter: Omit<MethodParams<'messages.list'>, 'after' | 'limit'> = {},
  ): Promise<InboxMessage[]> {
    const all: InboxMessage[] = [];
    const query = { ...filter, limit: IDS_PER_CALL };
    for (let page = await this.list(query); page.length > 0;) {
      const after = page[page.length - 1]!.id;
      all.push(...page.filter((m) => all.length === 0 || m.id > all[all.length - 1]!.id));
      page = await this.list({ ...query, after });
      if (page.length > 0 && page[page.length - 1]!.id <= after) break; // no progress: not the contract's agent
    }
    return all;
  }

  /** Every outbox message that matches (up to the newest 10,000), oldest first. */
  outboxAll(filter: Omit<MethodParams<'messages.outbox'>, 'limit'> = {}): Promise<OutboxMessage[]> {
    return this.outbox({ ...filter, limit: IDS_PER_CALL });
  }

  /** Marks messages read: their senders get a `read` receipt. */
  async ack(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.control.call('messages.ack', { ids: [...ids] })).acked;
  }

  /** Removes messages from the inbox or the outbox; resolves with how many were there. */
  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.control.call('messages.delete', { ids: [...ids] })).deleted;
  }

  /** This node's peers, by name and fingerprint. */
  async peers(): Promise<{ name: string; fingerprint: string }[]> {
    return (await this.control.call('peers.list', {})).map(({ name, fingerprint }) => ({
      name,
      fingerprint,
    }));
  }

  /**
   * Follows `message.state` and `message` events from now on. Called before a send whose receipt or
   * reply will be awaited: either may come before the send's own answer.
   */
  followEvents(): void {
    if (this.followingEvents) return;
    this.followingEvents = true;
    this.control.onEvent((event, data) => {
      if (event === 'message.state') {
        const m = data as OutboxMessage;
        this.report(m.id, { state: m.state, stateAt: m.stateAt, why: m.why, peer: m.peer, whole: m });
      } else if (event === 'message.states') {
        for (const c of (data as MessageStatesEvent).changes) {
          const report: StateReport = { state: c.state, stateAt: c.stateAt, why: c.why, peer: c.peer };
          for (const id of c.ids) this.report(id, report);
        }
      } else if (event === 'message') {
        const m = data as InboxMessage;
        if (this.asking === 0 || m.replyTo === undefined) return;
        this.replies.set(m.replyTo, m);
      } else return;
      this.wakeAll();
    }, EVENT_OPTIONS);
  }

  private report(id: string, report: StateReport): void {
    this.states.delete(id);
    this.states.set(id, report);
    if (this.states.size > STATE_MEMORY) this.states.delete(this.states.keys().next().value!);
    for (const watch of this.watchers) watch(id);
  }

  /** `id` as its latest report and `listing` (a message as the outbox listed it) say it is now. */
  private stateOf(id: string, listing: OutboxMessage | undefined): OutboxMessage | undefined {
    const report = this.states.get(id);
    if (!report) return listing;
    const reported = withReport(listing ?? report.whole ?? partialMessage(id, report), report);
    return listing ? laterState(listing, reported) : reported;
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
    const current = (id: string) => this.stateOf(id, listed.get(id));
    // Kept count of as reports come (each looked at once), not by going over every ID on each event.
    const left = new Set(ids);
    let failed: OutboxMessage | undefined;
    const look = (id: string) => {
      if (failed || !left.has(id)) return;
      const report = this.states.get(id)?.state;
      const listing = listed.get(id)?.state;
      const state = report && listing ? laterOf(listing, report) : (report ?? listing);
      if (state && failedState(state)) failed = current(id);
      else if (state && reached(state, wanted)) left.delete(id);
    };
    this.watchers.add(look);
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
      this.watchers.delete(look);
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
        const state = this.stateOf(sent.id, sent);
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
    const secs = seconds(timeoutMs);
    if (!reached(now.state, 'delivered') && !failedState(now.state)) {
      await this.delete([sent.id]).catch(() => 0);
      return new MessageStateError(
        'TIMEOUT',
        `no reply from ${now.peer.name} within ${secs}: the question was not delivered (${describeState(now)}), so it was withdrawn`,
        [now],
      );
    }
    // Past its TTL (the asker's deadline, unless --ttl said otherwise) no server there runs it.
    const expires = Date.parse(now.expiresAt);
    const after =
      Number.isFinite(expires) && expires > Date.now()
        ? ` there answers it); it stays answerable there until ${now.expiresAt} (its TTL)`
        : ' there answers the next one); this one expired there unanswered: no server will run it';
    const { message, hint } = commandIn(
      `no reply from ${now.peer.name} within ${secs}: it has the question (${now.state}), but nothing there answered topic ${now.topic} (`,
      peerHint(['msg', 'serve', '--topic', now.topic, '--', 'CMD']),
      after,
    );
    return new MessageStateError('TIMEOUT', message, [now], hint);
  }

  /**
   * Answers each message on `topic` (unread ones first; not replies, which belong to `ask`) with what
   * `answer` returns, sent back as a reply on the same topic, then marks it read. A throw from
   * `answer` is replied as an error with its message. A message past its TTL (a question whose asker
   * stopped waiting: ask() gives it the asker's deadline) is not answered nor marked read: it is
   * left to expire, and `onExpired` hears of it.
   */
  serve(
    opts: Omit<ListenOptions, 'replies' | 'onExpired'> & { topic: string; ttlMs?: number },
    answer: (m: InboxMessage) => Promise<ServeAnswer>,
    onAnswered?: (m: InboxMessage, reply: OutboxMessage, error: boolean) => void,
    onExpired: (m: InboxMessage) => void = () => undefined,
  ): Listening {
    return this.listen({ ...opts, replies: false, onExpired }, async (m) => {
      const result = await answer(m).catch((err: unknown): ServeAnswer => ({
        body: err instanceof Error ? err.message : String(err),
        error: true,
      }));
      const reply = await this.send(m.from.fingerprint, result.body, {
        topic: m.topic,
        replyTo: m.id,
        ...(result.error ? { error: true } : {}),
        ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}),
      });
      onAnswered?.(m, reply, result.error === true);
    });
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

/** `base` with the state a report gave it. */
function withReport(base: OutboxMessage, report: StateReport): OutboxMessage {
  if (report.whole) return report.whole;
  const { why: _why, ...rest } = base;
  return {
    ...rest,
    state: report.state,
    stateAt: report.stateAt,
    ...(report.why ? { why: report.why } : {}),
  };
}

/** A message known only from a change by ID (not in the outbox listing): what the change says of it. */
function partialMessage(id: string, report: StateReport): OutboxMessage {
  return {
    id,
    peer: report.peer,
    topic: '',
    size: 0,
    state: report.state,
    stateAt: report.stateAt,
    sentAt: report.stateAt,
    expiresAt: '',
  };
}

function failedError(failed: OutboxMessage, all: (OutboxMessage | undefined)[]): MessageStateError {
  const words = failed.state === 'refused' ? 'was refused' : 'expired';
  return new MessageStateError(
    failed.state === 'refused' ? 'MESSAGE_REFUSED' : 'MESSAGE_EXPIRED',
    `message ${failed.id} to ${failed.peer.name} ${words}${failed.why ? `: ${failed.why.reason} (${failed.why.code})` : ''}`,
    all.filter((m): m is OutboxMessage => m !== undefined),
  );
}

function timeoutError(
  list: (OutboxMessage | undefined)[],
  ids: readonly string[],
  wanted: AwaitedState,
  timeoutMs: number,
): MessageStateError {
  const late = list
    .map((m, i) => m ?? ids[i]!)
    .filter((m) => typeof m === 'string' || !reached(m.state, wanted));
  const first = late[0]!;
  const what =
    typeof first === 'string'
      ? `message ${first} is not in the outbox`
      : `message ${first.id} to ${first.peer.name} is ${describeState(first)}`;
  const more = late.length > 1 ? ` (and ${late.length - 1} more not ${wanted})` : '';
  const secs = seconds(timeoutMs);
  if (typeof first !== 'string' && reached(first.state, 'delivered')) {
    const message = `no read receipt within ${secs}: ${what}${more}; no program there has taken it yet`;
    return new MessageStateError(
      'TIMEOUT',
      message,
      list.filter((m): m is OutboxMessage => m !== undefined),
    );
  }
  const { message, hint } = commandIn(
    `no ${wanted} receipt within ${secs}: ${what}${more}; it stays in the outbox and goes once the peer is reachable (`,
    hereHint(['msg', 'outbox']),
    ' shows it)',
  );
  return new MessageStateError(
    'TIMEOUT',
    message,
    list.filter((m): m is OutboxMessage => m !== undefined),
    hint,
  );
}

/** listen(): the listing of unread messages, then events, each message handled once, in order. */
class Listener implements Listening {
  readonly done: Promise<void>;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private stopped = false;
  private readonly queue: InboxMessage[] = [];
  /**
   * The messages this connection's listing held. Only those can be a handled message shown again
   * because its acknowledgement was lost; an event that repeats one of them (it arrived while the
   * listing was answered) is a copy taken before the ack, not news.
   */
  private readonly listedHere = new WeakSet<InboxMessage>();
  private readonly memory: ListenMemory;
  private fromFingerprint: string | undefined;
  private listed = false;
  private working: Promise<void> = Promise.resolve();
  private finish!: (err?: unknown) => void;
  private settled = false;
  private readonly disposers: (() => void)[] = [];
  /** The ack in flight (ackLater). */
  private acking: Promise<void> | undefined;

  constructor(
    private readonly client: MessagesClient,
    control: ControlConnection,
    private readonly opts: ListenOptions,
    private readonly handler: (m: InboxMessage) => void | Promise<void>,
  ) {
    this.memory = opts.memory ?? listenMemory();
    this.done = new Promise<void>((resolve, reject) => {
      this.finish = (err) => {
        if (this.settled) return;
        this.settled = this.stopped = true;
        for (const d of this.disposers.splice(0)) d();
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(errorMessage(err)));
      };
    });
    // Ends with `done` when the listing never came (the agent refused it, or went away first).
    this.ready = Promise.race([new Promise<void>((resolve) => (this.markReady = resolve)), this.done]);
    this.ready.catch(() => undefined); // whoever awaits `done` hears of it there
    // Subscribed before the listing: a message that arrives meanwhile is in one or the other (or both).
    this.disposers.push(
      control.onEvent((event, data) => {
        if (event !== 'message' || this.stopped) return;
        this.queue.push(data as InboxMessage);
        if (this.listed) this.pump();
      }, EVENT_OPTIONS),
      control.onClose(() => {
        if (this.stopped || client.endingHere) this.finish();
        else this.finish(new ClawError('NO_AGENT', 'the agent stopped; listen again once it runs'));
      }),
    );
    void this.start().catch((err: unknown) => this.finish(err));
  }

  private async start(): Promise<void> {
    const { topic, from } = this.opts;
    // Handled under a listener before this one, their acknowledgement lost with its connection.
    if (this.memory.toAck.length > 0 && this.opts.ack !== false) this.startAcking();
    const unread = await this.client.listAll({
      unread: true,
      ...(topic !== undefined ? { topic } : {}),
      ...(from !== undefined ? { from } : {}),
    });
    if (from !== undefined) this.fromFingerprint = await resolveFrom(this.client, from, unread);
    if (this.stopped) return;
    for (const m of unread) this.listedHere.add(m);
    this.queue.unshift(...unread);
    this.listed = true;
    this.markReady();
    this.pump();
  }

  private wanted(m: InboxMessage): boolean {
    if (this.opts.topic !== undefined && m.topic !== this.opts.topic) return false;
    if (this.fromFingerprint !== undefined && m.from.fingerprint !== this.fromFingerprint) return false;
    if (this.opts.replies === false && m.replyTo !== undefined) return false;
    if (!this.memory.seen.has(seenKey(m))) return true;
    // Handled already: shown again because its acknowledgement was lost, or sent again after a crash.
    if (!m.read && this.listedHere.has(m) && this.opts.ack !== false) this.ackLater(m.id);
    return false;
  }

  /** Handles what is queued, one message at a time, in order. */
  private pump(): void {
    this.working = this.working.then(async () => {
      while (!this.stopped && this.queue.length > 0) {
        const m = this.queue.shift()!;
        if (!this.wanted(m)) continue;
        // Judged as it comes up, not as it arrived: one queued behind a slow handler may expire meanwhile.
        const expired = this.opts.onExpired !== undefined && Date.parse(m.expiresAt) <= Date.now();
        if (expired) this.opts.onExpired!(m);
        else await this.handler(m);
        // Only once handled: a handler that failed (the agent went while it replied) sees it again.
        const { seen } = this.memory;
        seen.add(seenKey(m));
        if (seen.size > SEEN_MEMORY) seen.delete(seen.values().next().value!);
        if (this.opts.ack !== false && !expired) this.ackLater(m.id);
      }
    });
    this.working.catch((err: unknown) => this.finish(err));
  }

  /**
   * Acknowledges a handled message without holding up the next one: one `messages.ack` in flight at a
   * time, carrying every ID handled meanwhile. Waiting for each ack (a round trip and the inbox's disk
   * flush) held a listener to one message per flush. A listener that dies before an ack leaves its
   * message unread, to be shown again, as before.
   */
  private ackLater(id: string): void {
    this.memory.toAck.push(id);
    this.startAcking();
  }

  private startAcking(): void {
    this.acking ??= this.flushAcks().finally(() => (this.acking = undefined));
  }

  private async flushAcks(): Promise<void> {
    const { toAck } = this.memory;
    while (toAck.length > 0 && !this.settled) {
      const ids = toAck.splice(0, IDS_PER_CALL);
      try {
        await this.client.ack(ids);
      } catch (err) {
        toAck.unshift(...ids); // still to acknowledge, by a listener that follows this one
        this.finish(err);
        return;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.working.catch(() => undefined);
    await this.acking;
    this.finish();
    // Stopping a listener that had already failed is not an error of its own.
    await this.done.catch(() => undefined);
  }
}

/** A message as a listener remembers it: by sender and ID (two senders may choose one ID). */
function seenKey(m: InboxMessage): string {
  return `${m.from.fingerprint}/${m.id}`;
}

/**
 * The fingerprint of the peer `ref` names, so events can be matched: the agent already checked the
 * name (the listing would have failed), so this only finds which peer it was, in resolvePeer's order
 * (links/resolve-peer.ts): a whole fingerprint, the name as typed, the name in any case, a prefix.
 */
async function resolveFrom(client: MessagesClient, ref: string, listed: InboxMessage[]): Promise<string> {
  const fromListing = listed[0]?.from.fingerprint;
  if (fromListing !== undefined) return fromListing;
  const peers = await client.peers();
  const hex = ref.replace(/[\s:-]/g, '').toLowerCase();
  const key = (s: string) => s.normalize('NFC').toLowerCase();
  const found =
    peers.find((p) => p.fingerprint === hex) ??
    peers.find((p) => p.name === ref) ??
    peers.find((p) => key(p.name) === key(ref)) ??
    (/^[0-9a-f]{4,64}$/.test(hex) ? peers.find((p) => p.fingerprint.startsWith(hex)) : undefined);
  if (!found) throw new ClawError('PEER_NOT_FOUND', `no peer named '${ref}'`);
  return found.fingerprint;
}
