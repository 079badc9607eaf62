/**
 * The client's side of batched sends: every `send` and `sendMany` of one messages client
 * goes through one queue, in the order called, and leaves in `messages.sendMany` requests. Whatever
 * is called in one tick goes together (a program that pipelines 10,000 sends costs the agent ten
 * requests, ten answers and a few disk flushes instead of 10,000 of each), and requests are pipelined
 * like the sends they carry: the agent takes them in the order they come, so the IDs keep the order of
 * the calls. A lone send goes as `messages.send`, as before.
 *
 * Each call keeps the answer it would have had alone. Every message is checked here first, as the
 * agent checks it (messages/send-item.ts), so a request is never refused for one bad message; the agent then
 * queues a request's messages in order until one does not fit the outbox, and that one and those after
 * it in the request are failed with its OUTBOX_FULL — as they would have been one by one, since the
 * outbox does not empty while one request is taken. The messages of one `sendMany` stay together: the
 * next request of a list goes only once the one before it was answered, and once one of them failed
 * the rest of the list is not sent (a list queued with a hole in it would be worse than one cut short).
 */
import { ClawError, isClawError } from '../../core/errors.js';
import type { OutboxMessage } from '../messages-contract.js';
import type { MethodName, MethodParams, MethodResults } from '../../api/contract.js';
// Not from messages-contract.ts' schemas: zod is what a CLI command should not pay for.
import {
  bodySize,
  MESSAGE_BATCH_MAX,
  MESSAGE_BATCH_MAX_BYTES,
  SEND_MANY_COMPACT,
  type BodyParams,
} from '../message-bodies.js';
import { outboxMessageOfRow } from '../compact-queued.js';
import type { SendItem } from '../send-item.js';

export type { SendItem } from '../send-item.js';

/** The messages of one `sendMany` call, which go one request at a time and stop at the first failure. */
export interface SendGroup {
  failed: unknown;
  /** A request carrying some of them is being answered. */
  busy: boolean;
}

/** One message waiting to be sent, and its caller. */
export interface PendingSend {
  peer: string;
  message: SendItem;
  /** Set for the messages of one `sendMany`; undefined for a lone `send`. */
  group: SendGroup | undefined;
  resolve(m: OutboxMessage): void;
  reject(err: unknown): void;
}

/** What the batcher needs of a control connection. */
export interface BatchConnection {
  call<M extends MethodName>(
    method: M,
    params: MethodParams<M>,
    timeoutMs?: number,
  ): Promise<MethodResults[M]>;
}

/**
 * Most characters of message fields one request carries (3 Mi): the agent's line limit is 4 MiB on
 * every transport, and a text body's JSON escapes can make it longer than its bytes.
 */
export const MESSAGE_BATCH_MAX_CHARS = 3 * 1024 * 1024;
/** Requests of one client being answered at once (the agent reads 64 per connection at a time). */
export const SEND_REQUESTS_IN_FLIGHT = 8;

export class SendBatcher {
  private readonly waiting: PendingSend[] = [];
  private inFlight = 0;
  private pumpScheduled = false;
  /** The agent answered that it has no `messages.sendMany` (an older release): each goes alone. */
  private oneByOne = false;
  /** A list's messages are going one by one, each after the last was answered: nothing else goes. */
  private serial = false;
  /** The agent answered a `messages.sendMany`: requests may be pipelined. */
  private sendManyWorks = false;
  /** The agent refused `answer: 'compact'` (a release before it): its requests ask for the full answer. */
  private fullAnswers = false;

  constructor(private readonly control: BatchConnection) {}

  /** Queues one message (checked: see sendItemProblem); it leaves with the next request. */
  add(send: PendingSend): void {
    this.waiting.push(send);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // After this tick's other calls: they go in the same request.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.serial && this.inFlight < SEND_REQUESTS_IN_FLIGHT) {
      const batch = this.take();
      if (batch.length === 0) return;
      this.inFlight++;
      this.sendBatch(batch)
        // sendBatch answers each send itself; should it throw anyway, each send hears why.
        .catch((err: unknown) => {
          for (const s of batch) s.reject(err);
        })
        .finally(() => {
          this.inFlight--;
          for (const s of batch) if (s.group) s.group.busy = false;
          this.pump();
        });
    }
  }

  /**
   * The next request's messages: from the front, those to the same peer, up to MESSAGE_BATCH_MAX
   * messages, MESSAGE_BATCH_MAX_BYTES of bodies and MESSAGE_BATCH_MAX_CHARS of fields (at least one),
   * stopping at a list whose previous request is still being answered. Messages of a list that
   * already failed are failed here, unsent.
   */
  private take(): PendingSend[] {
    const batch: PendingSend[] = [];
    const groups = new Set<SendGroup>();
    let bytes = 0;
    let chars = 0;
    while (this.waiting.length > 0 && batch.length < MESSAGE_BATCH_MAX) {
      const next = this.waiting[0]!;
      const group = next.group;
      if (group?.failed !== undefined) {
        this.waiting.shift();
        next.reject(group.failed);
        continue;
      }
      if (group?.busy && !groups.has(group)) break;
      if (batch.length > 0 && next.peer !== batch[0]!.peer) break;
      const size = bodySize(next.message as BodyParams);
      const length = fieldChars(next.message);
      if (
        batch.length > 0 &&
        (bytes + size > MESSAGE_BATCH_MAX_BYTES || chars + length > MESSAGE_BATCH_MAX_CHARS)
      )
        break;
      this.waiting.shift();
      batch.push(next);
      if (group) {
        group.busy = true;
        groups.add(group);
      }
      bytes += size;
      chars += length;
    }
    return batch;
  }

  private async sendBatch(batch: PendingSend[]): Promise<void> {
    if (batch.length === 1 || this.oneByOne) return this.oneAtATime(batch);
    // Until the agent answered one: if it has no sendMany, these go again one by one, and nothing
    // sent meanwhile may take an earlier ID.
    const probing = !this.sendManyWorks;
    if (probing) this.serial = true;
    let answer: MethodResults['messages.sendMany'];
    try {
      answer = await this.sendMany(batch, probing);
      this.sendManyWorks = true;
    } catch (err) {
      if (isClawError(err, 'BAD_ARGUMENT') && /unknown method/.test(err.message)) {
        this.oneByOne = true;
        if (probing) this.serial = false;
        return this.oneAtATime(batch);
      }
      for (const s of batch) fail(s, err);
      return;
    } finally {
      if (probing && !this.oneByOne) this.serial = false;
    }
    const { error, compact } = answer;
    const queued = compact ? compact.rows.length : answer.queued.length;
    const stopped =
      error !== undefined
        ? new ClawError(error.code, error.message)
        : queued < batch.length
          ? new ClawError('INTERNAL', `the agent answered ${queued} messages for the ${batch.length} sent`)
          : undefined;
    batch.forEach((s, i) => {
      if (i >= queued) fail(s, stopped);
      else s.resolve(compact ? outboxMessageOfRow(compact.rows[i]!, compact.peer) : answer.queued[i]!);
    });
  }

  /**
   * One `messages.sendMany`, asking for the compact answer unless the agent refused it. An agent
   * before it refuses the `answer` key before queueing anything (the contract's keys are strict), so
   * the probe's batch goes again as it was, asking for the full answer.
   */
  private async sendMany(
    batch: PendingSend[],
    probing: boolean,
  ): Promise<MethodResults['messages.sendMany']> {
    const peer = batch[0]!.peer;
    const messages = batch.map((s) => s.message);
    if (this.fullAnswers) return this.control.call('messages.sendMany', { peer, messages });
    try {
      return await this.control.call('messages.sendMany', { peer, messages, answer: SEND_MANY_COMPACT });
    } catch (err) {
      if (!probing || !isClawError(err, 'BAD_ARGUMENT') || !/sendMany.*\banswer\b/s.test(err.message))
        throw err;
      this.fullAnswers = true;
      return this.control.call('messages.sendMany', { peer, messages });
    }
  }

  /**
   * Each message as `messages.send`, in order: lone sends pipelined (the agent takes requests in the
   * order they come), a list's messages each after the one before it was queued (its rest is dropped
   * once one failed). The first request goes before this returns, and while a list's later message
   * waits for the one before it no later request goes either (it would take an earlier ID).
   */
  private oneAtATime(batch: PendingSend[]): Promise<void> {
    const alone = (s: PendingSend) =>
      this.control.call('messages.send', { peer: s.peer, ...s.message }).then(
        (m) => s.resolve(m),
        (err: unknown) => fail(s, err),
      );
    const waits = batch.length > 1 && batch.some((s) => s.group !== undefined);
    if (waits) this.serial = true;
    const run = async () => {
      let inFlight: Promise<void>[] = [];
      for (const s of batch) {
        if (s.group === undefined) {
          inFlight.push(alone(s));
          continue;
        }
        if (inFlight.length > 0) await Promise.all(inFlight);
        inFlight = [];
        if (s.group.failed !== undefined) s.reject(s.group.failed);
        else await alone(s);
      }
      await Promise.all(inFlight);
    };
    return run().finally(() => {
      if (waits) this.serial = false;
    });
  }
}

/** The error `sendMany` rejects with when some of its messages were queued before one failed. */
export class PartlyQueuedError extends ClawError {
  constructor(
    readonly why: unknown,
    /** Those queued before it, in order. */
    readonly queued: OutboxMessage[],
    total: number,
  ) {
    const base = why instanceof Error ? why.message : String(why);
    super(
      isClawError(why) ? why.code : 'INTERNAL',
      `${base} (${queued.length} of ${total} messages were queued before that; the rest were not)`,
      { cause: why, ...(isClawError(why) && why.hint ? { hint: why.hint } : {}) },
    );
    this.name = 'PartlyQueuedError';
  }
}

function fail(s: PendingSend, err: unknown): void {
  if (s.group) s.group.failed ??= err;
  s.reject(err);
}

/** About how many characters a message's fields take in a request (its body as JSON escapes it). */
function fieldChars(m: SendItem): number {
  const body = m.text !== undefined ? JSON.stringify(m.text).length : (m.base64?.length ?? 0);
  return body + 64 + (m.topic?.length ?? 0) + (m.replyTo !== undefined ? 48 : 0);
}
