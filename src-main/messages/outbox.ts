/**
 * The outbox: every message this node sends, kept durably until the peer's DELIVERED receipt, then
 * with its body (a conversation shows what was sent, as the inbox shows what came) so the sender can
 * see its state and what it said, until it is no longer worth showing (ADR 0046).
 *
 * Only `queue` waits for its record to be durable (a message the caller was told is queued survives
 * any crash). Within a second of an earlier write (a durable floor covers its ID: EARLY_SEND_LEASE_MS)
 * the message goes on a link while that record is being written, so the disk and the network overlap
 * (ADR 0066); a receipt that comes back before the write ended is taken. State changes are recorded
 * lazily (record-log.ts `appendLazy`): one lost in a crash is learned again, since the message is
 * sent again and the receiver answers a repeat as before.
 *
 * States: `queued` (recorded here, not yet on a link; with `why` when the receiver said INBOX_FULL),
 * `sent` (written to a link, not yet confirmed; memory only, so after a restart it reads `queued`
 * again), `delivered`, `read`, `expired` (its TTL passed before a DELIVERED), `refused` (final, with
 * why). A record never moves a message back (box-records.ts `stateRank`).
 *
 * Bounds (a program that sends in a loop to a peer that is away for a week cannot fill the disk):
 * undelivered messages per peer at most 10,000 and 64 MiB — what the peer's inbox would take anyway —
 * and 256 MiB across all peers; past them `queue` fails with OUTBOX_FULL at once. Finished messages
 * are shown until their TTL has passed and a day since they finished, at most 10,000 and 64 MiB of
 * bodies per peer (the inbox's bounds for what it keeps of one sender), the oldest going first.
 */
import { isUtf8 } from 'node:buffer';
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { UuidV7Generator, uuidV7Problem, uuidV7Time } from '../core/uuid-v7.js';
import {
  DEFAULT_MESSAGE_TTL_MS,
  DEFAULT_TOPIC,
  MAX_MESSAGE_BODY_BYTES,
  topicProblem,
  ttlProblem,
} from '../protocol/message-frames.js';
import {
  decodeOutboxRecord,
  encodeOutboxRecord,
  stateRank,
  type MessageMeta,
  type OutboxRecord,
  type OutboxState,
  type Why,
} from './box-records.js';
import type { LogFolder } from './log-files.js';
import { RecordLog, type LogRecovery, type LogStats } from './record-log.js';

/** The outbox's file in the messages folder. */
export const OUTBOX_FILE = 'outbox.log';

export interface OutboxLimits {
  /** Undelivered messages per peer. */
  pendingMessagesPerPeer: number;
  /** Bytes of undelivered bodies per peer. */
  pendingBytesPerPeer: number;
  /** Bytes of undelivered bodies across all peers. */
  pendingBytes: number;
  /** Finished messages shown per peer (the oldest go first). */
  finishedPerPeer: number;
  /** Bytes of finished messages' bodies kept per peer (the oldest go first). */
  finishedBytesPerPeer: number;
  /** How long a finished message is shown at least, in ms. */
  finishedKeepMs: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  pendingMessagesPerPeer: 10_000,
  pendingBytesPerPeer: 64 * 1024 * 1024,
  pendingBytes: 256 * 1024 * 1024,
  finishedPerPeer: 10_000,
  finishedBytesPerPeer: 64 * 1024 * 1024,
  finishedKeepMs: 24 * 3600_000,
};

/** One message as the outbox shows it. */
export interface OutboxEntry extends MessageMeta {
  /** The receiver's fingerprint. */
  peer: string;
  /** When it was queued, in ms since the epoch (its ID's time). */
  sentAt: number;
  expiresAt: number;
  state: OutboxState;
  why?: Why;
  /** When it reached its state, in ms. */
  stateAt: number;
}

/** What `queue` takes. */
export interface NewMessage {
  peer: string;
  topic?: string;
  body: Uint8Array;
  /** The body is UTF-8 text (checked). */
  text: boolean;
  ttlMs?: number;
  replyTo?: string;
  error?: boolean;
  /** `body` is this message's alone (nothing else holds or changes it): kept as it is, not copied. */
  owned?: boolean;
}

interface Held extends OutboxEntry {
  /**
   * The body until it is durable, then its position in the log; undefined for a finished message an
   * older release compacted without it.
   */
  body: Uint8Array | number | undefined;
  /** The record that queued it is durable (queueMany holds and appends in one step). */
  durable: boolean;
  /**
   * It may go on a link while its record is still being written: a durable floor covers its ID, so no
   * later ID can repeat it whatever happens before its own record lands (ADR 0066).
   */
  early: boolean;
  /** The body kept in memory after it became durable (BODY_CACHE_BYTES), so sending reads no file. */
  cached?: Uint8Array;
}

/**
 * Bodies of undelivered messages kept in memory, in bytes (16 MiB): a message usually goes out right
 * after it was queued, and reading each body back from the log would cost a file read per message.
 * Past this budget (a peer away with a full outbox), bodies are read from the log when sent.
 */
export const BODY_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Most messages one `queueMany` takes (a client's batch, `messages.sendMany`, is smaller): their
 * records go to the log in one group commit.
 */
export const MAX_QUEUE_BATCH = 10_000;

const FINISHED: ReadonlySet<OutboxState> = new Set(['delivered', 'read', 'expired', 'refused']);
const isPending = (e: Held) => (e.durable || e.early) && (e.state === 'queued' || e.state === 'sent');
const FINGERPRINT = /^[0-9a-f]{64}$/;

/**
 * How far past the clock a floor record vouches for IDs, in ms (1 s): the first message after a quiet
 * second waits for its own record before it goes on a link, and writes a floor (in the same batch) that
 * lets every message of the next second go while its record is being written (ADR 0066). After a
 * restart IDs continue above the floor, so their time may run up to this far ahead until the clock
 * catches up.
 */
export const EARLY_SEND_LEASE_MS = 1_000;

export interface OutboxOptions {
  now?: () => number;
  limits?: Partial<OutboxLimits>;
  ids?: UuidV7Generator;
}

export class Outbox {
  /** By ID, in ID order (= the order queued). */
  private readonly entries = new Map<string, Held>();
  private readonly limits: OutboxLimits;
  private readonly now: () => number;
  private readonly ids: UuidV7Generator;
  private compacting: Promise<void> | undefined;
  /** Log size at which compaction is next considered (once per MiB written, not per record). */
  private nextCompactCheck = 0;
  /** Undelivered (queued or sent) messages and bytes per peer, and bytes across peers. */
  private readonly waiting = new Map<string, { count: number; bytes: number }>();
  private waitingBytes = 0;
  /** Finished messages and their bytes per peer (what `finishedPerPeer` and `finishedBytesPerPeer` bound). */
  private readonly finished = new Map<string, { count: number; bytes: number }>();
  private cachedBytes = 0;
  /**
   * The highest ID a durable floor record vouches for ('' none: after a restart every new ID sorts
   * above it), and the floor on its way to disk. A message whose ID is at or below `floorDurable` may
   * go on a link before its own record is durable: were the record lost, no later message could
   * reuse its ID or sort below it, so the receiver's mark never takes a new message for a repeat.
   */
  private floorDurable = '';
  private floorWriting = '';
  /**
   * Messages that wait for their own records before they go on a link (no floor covered them): while
   * any does, later ones wait too, so messages reach the link in the order queued.
   */
  private awaitingRecord = 0;
  /**
   * `queued`: its record is written (durable, or on its way: queueMany's caller hears only once it is
   * durable), it may go on a link now (ADR 0066). `changed`: any other change of state.
   */
  readonly events = new Emitter<{ queued: [OutboxEntry]; changed: [OutboxEntry] }>();

  private constructor(
    private readonly log: RecordLog,
    options: OutboxOptions,
  ) {
    this.limits = { ...DEFAULT_OUTBOX_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.ids = options.ids ?? new UuidV7Generator({ now: this.now });
  }

  /** Opens the outbox in `folder`, replaying its log (see record-log.ts for what recovery cuts). */
  static async open(
    folder: LogFolder,
    options: OutboxOptions = {},
  ): Promise<{ outbox: Outbox; recovery: LogRecovery & { skipped: number } }> {
    const replayed: { record: OutboxRecord; bodyPos: number | undefined }[] = [];
    let skipped = 0;
    const { log, recovery } = await RecordLog.open(folder, OUTBOX_FILE, (payload, offset) => {
      try {
        const { record, bodyAt, bodyLength } = decodeOutboxRecord(payload);
        replayed.push({ record, bodyPos: bodyLength > 0 ? offset + bodyAt : undefined });
      } catch {
        skipped++; // checksummed but unreadable: written by a newer version, or a bug; not fatal
      }
    });
    const outbox = new Outbox(log, options);
    for (const { record, bodyPos } of replayed) outbox.replay(record, bodyPos);
    outbox.sweep();
    return { outbox, recovery: { ...recovery, skipped } };
  }

  /** Group-commit counters of the log. */
  get stats(): LogStats {
    return this.log.stats;
  }

  /**
   * Queues one message durably and resolves with it, as queued, once it is on disk (a crash after that
   * loses nothing); it is handed to a link (`queued` event) as soon as its record is being written.
   * @throws ClawError('BAD_ARGUMENT') for a body over 1 MiB, a bad topic, TTL or text; ClawError('OUTBOX_FULL')
   *   past a bound; the disk's error when it could not be written.
   */
  async queue(input: NewMessage): Promise<OutboxEntry> {
    const { queued, error } = await this.queueMany([input]);
    if (error) throw error;
    return queued[0]!;
  }

  /**
   * Queues messages in order, as that many `queue` calls one after another would, but with their
   * records in one group commit (one flush for the batch). Every one is checked first: a bad one
   * queues none. Then they are taken in order while they fit the bounds; the first that does not
   * stops the batch, and neither it nor any after it is queued (a batch never leaves a hole). Their
   * IDs follow the order given. Each goes to a link (`queued`) as its record is appended; resolves
   * once those queued are on disk, each as it was queued (state `queued`).
   * @returns those queued, in order, and when the batch stopped early the error of the first not
   *   queued: OUTBOX_FULL, or the disk's error when the rest could not be written
   * @throws ClawError('BAD_ARGUMENT') naming the first bad one (`message 3 of 200: …`); OUTBOX_FULL or
   *   the disk's error when not even the first was queued
   */
  async queueMany(inputs: readonly NewMessage[]): Promise<{ queued: OutboxEntry[]; error?: ClawError }> {
    if (inputs.length > MAX_QUEUE_BATCH) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `at most ${MAX_QUEUE_BATCH} messages are queued at once, got ${inputs.length}`,
      );
    }
    inputs.forEach((input, i) => {
      const problem = newMessageProblem(input);
      if (problem) {
        const which = inputs.length > 1 ? `message ${i + 1} of ${inputs.length}: ` : '';
        throw new ClawError('BAD_ARGUMENT', `${which}${problem}`);
      }
    });
    // Synchronously from here to the appends: no other queue call can take an ID between these.
    const helds: Held[] = [];
    let full: ClawError | undefined;
    for (const input of inputs) {
      full = this.roomProblem(input.peer, input.body.length, inputs.length - helds.length);
      if (full) break;
      helds.push(this.hold(input));
    }
    if (helds.length === 0) throw full!;
    const lastId = helds[helds.length - 1]!.id;
    const early = lastId <= this.floorDurable && this.awaitingRecord === 0;
    if (!early) this.awaitingRecord += helds.length;
    const recording = this.record(helds, !early && lastId > this.floorWriting ? lastId : undefined);
    // What the caller is answered: each message as it was queued, whatever the link did meanwhile.
    const views = helds.map(viewOf);
    const handOver = () =>
      helds.forEach((held, i) => {
        if (this.entries.get(held.id) === held) this.events.emit('queued', views[i]!);
      });
    // On a link while the write and the sync run (ADR 0066), when a durable floor covers the IDs;
    // else once durable, as the floor written with them is. The caller hears only once durable.
    if (early) {
      for (const held of helds) held.early = true;
      handOver();
    }
    const appended = await Promise.allSettled(recording);
    const queued: OutboxEntry[] = [];
    let failed: unknown;
    helds.forEach((held, i) => {
      const r = appended[i]!;
      // Records become durable in order: a failed write fails every one queued after it too.
      if (r.status === 'rejected' || failed !== undefined) {
        failed ??= (r as PromiseRejectedResult).reason;
        return;
      }
      held.durable = true;
      queued.push(views[i]!);
    });
    if (!early) {
      this.awaitingRecord -= helds.length;
      handOver();
    }
    this.maybeCompact();
    if (failed === undefined) return full ? { queued, error: full } : { queued };
    const error = isClawError(failed)
      ? failed
      : new ClawError('INTERNAL', errorMessage(failed), { cause: failed });
    if (queued.length === 0) throw error;
    return { queued, error };
  }

  /**
   * A floor record EARLY_SEND_LEASE_MS past the clock (or past `lastId`'s time, if the IDs run ahead
   * of it), to go in the same batch as the entries it follows: once durable, the next second's
   * messages may go on a link while their records are written.
   */
  private floorRecord(lastId: string): { payload: Uint8Array; done: (p: Promise<number>) => void } {
    const id = lastIdOfMs(Math.max(this.now(), uuidV7Time(lastId)) + EARLY_SEND_LEASE_MS);
    this.floorWriting = id;
    return {
      payload: encodeOutboxRecord({ kind: 'floor', meta: { id } }).payload,
      done: (appended) =>
        void appended.then(
          () => {
            if (id > this.floorDurable) this.floorDurable = id;
          },
          () => undefined, // the log is broken: every later append fails too, and nothing goes early
        ),
    };
  }

  /** A new message's entry, in memory and counted, not yet recorded. */
  private hold(input: NewMessage): Held {
    const id = this.ids.next();
    const sentAt = uuidV7Time(id);
    // The caller's bytes are copied unless it handed them over (the API's, decoded for this message).
    const body = input.owned ? input.body : pooledCopy(input.body);
    const ttlMs = input.ttlMs ?? DEFAULT_MESSAGE_TTL_MS;
    const held: Held = {
      id,
      peer: input.peer,
      topic: input.topic ?? DEFAULT_TOPIC,
      text: input.text,
      ttlMs,
      size: body.length,
      sentAt,
      expiresAt: sentAt + ttlMs,
      state: 'queued',
      stateAt: this.now(),
      body,
      durable: false,
      early: false,
    };
    if (input.replyTo !== undefined) held.replyTo = input.replyTo;
    if (input.error) held.error = true;
    this.entries.set(id, held);
    this.tally(held, 1);
    return held;
  }

  /**
   * Appends the records of `helds` in one batch (and, given `floorAbove`, a floor past it: ADR 0066);
   * once each is durable its body is read from the log (or the cache).
   */
  private record(helds: readonly Held[], floorAbove?: string): Promise<void>[] {
    const encoded = helds.map((held) =>
      encodeOutboxRecord({ kind: 'entry', meta: metaOf(held), body: held.body as Uint8Array }),
    );
    const floor = floorAbove === undefined ? undefined : this.floorRecord(floorAbove);
    const appended = this.log.appendAll([
      ...encoded.map((e) => e.payload),
      ...(floor ? [floor.payload] : []),
    ]);
    if (floor) floor.done(appended.pop()!);
    return appended.map((a, i) => this.recorded(helds[i]!, encoded[i]!.bodyAt, a));
  }

  private async recorded(held: Held, bodyAt: number, appended: Promise<number>): Promise<void> {
    const body = held.body as Uint8Array;
    try {
      const offset = await appended;
      if (typeof held.body !== 'number' && this.entries.get(held.id) === held) {
        held.body = offset + bodyAt;
        if (this.cachedBytes + held.size <= BODY_CACHE_BYTES && !FINISHED.has(held.state)) {
          held.cached = body;
          this.cachedBytes += held.size;
        }
      }
    } catch (err) {
      if (this.entries.get(held.id) === held) this.remove(held.id);
      throw err;
    }
  }

  get(id: string): OutboxEntry | undefined {
    const e = this.entries.get(id);
    return e && viewOf(e);
  }

  /** Every message shown, oldest first; optionally one peer's, or those in one state. */
  list(filter: { peer?: string; state?: OutboxState } = {}): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const e of this.entries.values()) {
      if (
        (filter.peer === undefined || e.peer === filter.peer) &&
        (filter.state === undefined || e.state === filter.state)
      ) {
        out.push(viewOf(e));
      }
    }
    return out;
  }

  /**
   * `peer`'s messages still to deliver (queued or sent, TTL not passed; a record being written counts,
   * ADR 0066), in the order sent.
   */
  pending(peer: string): OutboxEntry[] {
    const now = this.now();
    const out: OutboxEntry[] = [];
    for (const e of this.entries.values())
      if (e.peer === peer && isPending(e) && e.expiresAt > now) out.push(viewOf(e));
    return out;
  }

  /** Whether `id` (of `peer`) is still to deliver. */
  isPending(peer: string, id: string): boolean {
    const e = this.entries.get(id);
    return e !== undefined && e.peer === peer && isPending(e) && e.expiresAt > this.now();
  }

  /** How many of `peer`'s messages are still to deliver (queued or sent): O(1), for deciding to open a stream. */
  waitingCount(peer: string): number {
    return this.waiting.get(peer)?.count ?? 0;
  }

  /** The earliest time a message still to deliver expires, in ms (undefined: none waits). */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (
        e.durable &&
        (e.state === 'queued' || e.state === 'sent') &&
        (next === undefined || e.expiresAt < next)
      )
        next = e.expiresAt;
    }
    return next;
  }

  /** IDs of `peer`'s delivered messages whose READ has not come. */
  awaitingRead(peer: string): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) if (e.peer === peer && e.state === 'delivered') out.push(e.id);
    return out;
  }

  /**
   * A message's body (pending, or finished and still shown).
   * @throws ClawError('INTERNAL') once it is no longer kept (deleted, or compacted by an older release).
   */
  async body(id: string): Promise<Uint8Array> {
    const e = this.entries.get(id);
    const at = e?.body;
    if (e?.cached) return e.cached;
    if (e === undefined || at === undefined)
      throw new ClawError('INTERNAL', `message ${id} has no body here any more`);
    return typeof at === 'number' ? this.log.read(at, e.size) : at;
  }

  /** A pending message's body when it is in memory (so sending reads no file), else undefined. */
  cachedBody(id: string): Uint8Array | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    return e.cached ?? (e.body instanceof Uint8Array ? e.body : undefined);
  }

  /** It went onto a link (not recorded: after a restart it is `queued` again until delivered). */
  markSent(peer: string, id: string): void {
    const e = this.entries.get(id);
    if (e?.peer !== peer || e.state !== 'queued') return;
    this.setState(e, 'sent', this.now(), undefined);
    this.events.emit('changed', viewOf(e));
  }

  /** The receiver cannot take it yet (INBOX_FULL): queued again, saying why (not recorded). */
  markWaiting(peer: string, id: string, why: Why): void {
    const e = this.entries.get(id);
    if (e?.peer !== peer || (e.state !== 'queued' && e.state !== 'sent')) return;
    this.setState(e, 'queued', this.now(), why);
    this.events.emit('changed', viewOf(e));
  }

  /** DELIVERED from `peer` (IDs of other peers' messages are ignored: no peer speaks for another). */
  delivered(peer: string, ids: readonly string[]): Promise<void> {
    return this.advance(peer, ids, 'delivered');
  }

  read(peer: string, ids: readonly string[]): Promise<void> {
    return this.advance(peer, ids, 'read');
  }

  /** A final refusal of one message (`expired` when the receiver found its TTL passed). */
  refuse(peer: string, id: string, why: Why): Promise<void> {
    return this.advance(peer, [id], why.code === 'EXPIRED' ? 'expired' : 'refused', why);
  }

  /** The peer refused the whole stream (no `message` permission): every pending message is refused. */
  refusePending(peer: string, why: Why): Promise<void> {
    return this.advance(
      peer,
      this.pending(peer).map((e) => e.id),
      'refused',
      why,
    );
  }

  /**
   * Marks messages whose TTL passed undelivered `expired`, and stops showing finished ones past their
   * keep time. Call it now and then (the service runs it on a timer and before each resend).
   */
  async expire(): Promise<void> {
    const now = this.now();
    const byPeer = new Map<string, string[]>();
    for (const e of this.entries.values()) {
      if (e.durable && (e.state === 'queued' || e.state === 'sent') && e.expiresAt <= now) {
        const list = byPeer.get(e.peer);
        if (list) list.push(e.id);
        else byPeer.set(e.peer, [e.id]);
      }
    }
    for (const [peer, ids] of byPeer) await this.advance(peer, ids, 'expired', undefined);
    this.sweep();
    this.maybeCompact();
  }

  /** Removes messages from the outbox (an undelivered one is then never sent); returns those removed. */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone = ids.filter((id) => this.entries.get(id)?.durable);
    if (gone.length === 0) return [];
    for (const id of gone) this.remove(id);
    await this.log.append(encodeOutboxRecord({ kind: 'delete', meta: { ids: gone } }).payload);
    this.nextCompactCheck = 0; // what was deleted may be most of the log: looked at now
    this.maybeCompact();
    return gone;
  }

  /** Waits for queued writes and any compaction, then closes the log. */
  async close(): Promise<void> {
    await this.compacting;
    await this.log.close();
  }

  /**
   * Why one more message of `size` bytes to `peer` does not fit the bounds on top of what waits now
   * (OUTBOX_FULL), or undefined when it fits. `left`: the messages of its batch from it on, named when
   * more than one.
   */
  private roomProblem(peer: string, size: number, left: number): ClawError | undefined {
    const mine = this.waiting.get(peer) ?? { count: 0, bytes: 0 };
    const l = this.limits;
    const full =
      mine.count + 1 > l.pendingMessagesPerPeer
        ? `${mine.count} messages to this peer are waiting (at most ${l.pendingMessagesPerPeer})`
        : mine.bytes + size > l.pendingBytesPerPeer
          ? `${mib(mine.bytes)} to this peer is waiting (at most ${mib(l.pendingBytesPerPeer)})`
          : this.waitingBytes + size > l.pendingBytes
            ? `${mib(this.waitingBytes)} is waiting to be delivered (at most ${mib(l.pendingBytes)})`
            : undefined;
    if (!full) return undefined;
    const these = left > 1 ? ` (this message and the ${left - 1} after it were not queued)` : '';
    return new ClawError(
      'OUTBOX_FULL',
      `outbox full: ${full}; wait until the peer is online, or delete messages from the outbox${these}`,
    );
  }

  /** Counts `e` in (sign 1) or out of (−1) the tallies of its state: undelivered, or finished. */
  private tally(e: Held, sign: 1 | -1): void {
    if (FINISHED.has(e.state)) {
      const f = this.finished.get(e.peer) ?? { count: 0, bytes: 0 };
      f.count += sign;
      f.bytes += sign * e.size;
      if (f.count === 0) this.finished.delete(e.peer);
      else this.finished.set(e.peer, f);
      return;
    }
    if (e.state !== 'queued' && e.state !== 'sent') return;
    const t = this.waiting.get(e.peer) ?? { count: 0, bytes: 0 };
    t.count += sign;
    t.bytes += sign * e.size;
    this.waitingBytes += sign * e.size;
    if (t.count === 0) this.waiting.delete(e.peer);
    else this.waiting.set(e.peer, t);
  }

  /** Moves `e` to `state` (forward only), keeping the tallies. */
  private setState(e: Held, state: OutboxState, at: number, why: Why | undefined): void {
    if (FINISHED.has(state)) this.uncache(e);
    this.tally(e, -1);
    e.state = state;
    e.stateAt = at;
    if (why) e.why = why;
    else delete e.why;
    this.tally(e, 1);
  }

  private uncache(e: Held): void {
    if (!e.cached) return;
    this.cachedBytes -= e.size;
    delete e.cached;
  }

  private remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.uncache(e);
    this.tally(e, -1);
    this.entries.delete(id);
  }

  private async advance(peer: string, ids: readonly string[], state: OutboxState, why?: Why): Promise<void> {
    const at = this.now();
    const moved: Held[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      // One still being written counts (its receipt may come first, ADR 0066): the state's record
      // follows the entry's in the log.
      if (e?.peer !== peer || stateRank(state) <= stateRank(e.state)) continue;
      moved.push(e);
    }
    if (moved.length === 0) return;
    // Lazily: a state lost in a crash is learned again (the message goes out again, and the receiver
    // answers a repeat as it answered the first; an expiry is judged again), so receipts cost no flush.
    this.log.appendLazy(
      encodeOutboxRecord({
        kind: 'state',
        meta: { ids: moved.map((e) => e.id), state, at, ...(why ? { why } : {}) },
      }).payload,
    );
    await Promise.resolve();
    for (const e of moved) {
      if (this.entries.get(e.id) !== e || stateRank(state) <= stateRank(e.state)) continue;
      this.setState(e, state, at, why);
      this.events.emit('changed', viewOf(e));
    }
    if (FINISHED.has(state)) this.trimFinished(peer);
    this.maybeCompact();
  }

  private replay(record: OutboxRecord, bodyPos: number | undefined): void {
    switch (record.kind) {
      case 'entry': {
        const m = record.meta;
        this.ids.observe(m.id);
        const e = this.entries.get(m.id);
        if (e) {
          if (stateRank(m.state) > stateRank(e.state)) this.setState(e, m.state, m.at, m.why);
          e.body ??= bodyPos;
          return;
        }
        const sentAt = uuidV7Time(m.id);
        const { at, ...rest } = m;
        const held: Held = {
          ...rest,
          sentAt,
          expiresAt: sentAt + m.ttlMs,
          stateAt: at,
          body: bodyPos,
          durable: true,
          early: false,
        };
        this.entries.set(m.id, held);
        this.tally(held, 1);
        return;
      }
      case 'state':
        for (const id of record.meta.ids) {
          const e = this.entries.get(id);
          if (!e || stateRank(record.meta.state) <= stateRank(e.state)) continue;
          this.setState(e, record.meta.state, record.meta.at, record.meta.why);
        }
        return;
      case 'delete':
        for (const id of record.meta.ids) this.remove(id);
        return;
      case 'floor':
        this.ids.observe(record.meta.id);
        if (record.meta.id > this.floorDurable) this.floorDurable = record.meta.id;
    }
  }

  /**
   * Past `peer`'s bounds of finished messages, lets its oldest go until a tenth is free again (so
   * the next receipts do not each look over the outbox).
   */
  private trimFinished(peer: string): void {
    const f = this.finished.get(peer);
    const l = this.limits;
    if (!f || (f.count <= l.finishedPerPeer && f.bytes <= l.finishedBytesPerPeer)) return;
    const count = Math.floor(l.finishedPerPeer * 0.9);
    const bytes = Math.floor(l.finishedBytesPerPeer * 0.9);
    for (const e of this.entries.values()) {
      if (f.count <= count && f.bytes <= bytes) break;
      if (e.peer === peer && FINISHED.has(e.state)) this.remove(e.id);
    }
  }

  /** Drops finished messages past their keep time, and the oldest past the count or bytes per peer. */
  private sweep(): void {
    const now = this.now();
    const finishedPerPeer = new Map<string, Held[]>();
    for (const e of this.entries.values()) {
      if (!FINISHED.has(e.state)) continue;
      if (now >= Math.max(e.expiresAt, e.stateAt + this.limits.finishedKeepMs)) {
        this.remove(e.id);
        continue;
      }
      const list = finishedPerPeer.get(e.peer) ?? [];
      list.push(e);
      finishedPerPeer.set(e.peer, list);
    }
    for (const list of finishedPerPeer.values()) {
      let bytes = 0;
      for (const e of list) bytes += e.size;
      let drop = Math.max(0, list.length - this.limits.finishedPerPeer);
      for (const e of list) {
        if (drop === 0 && bytes <= this.limits.finishedBytesPerPeer) break;
        this.remove(e.id);
        bytes -= e.size;
        if (drop > 0) drop--;
      }
    }
  }

  /**
   * Rewrites the log with what is live when dead records (finished bodies, old states, deleted
   * entries) outweigh it: at most twice the live size plus 1 MiB stays on disk.
   */
  private maybeCompact(): void {
    if (this.compacting || this.log.size < this.nextCompactCheck) return;
    let live = 0;
    for (const e of this.entries.values()) live += 200 + e.size;
    this.nextCompactCheck = this.log.size + 1024 * 1024;
    if (this.log.size <= 2 * live + 1024 * 1024) return;
    this.compacting = this.compact()
      .catch(() => undefined) // the old log stays; the next write tries again
      .finally(() => {
        this.compacting = undefined;
        this.nextCompactCheck = this.log.size + 1024 * 1024;
      });
  }

  private async compact(): Promise<void> {
    this.sweep();
    /** Per record written, the entry whose body it carries (undefined when it carries none). */
    const targets: ({ e: Held; bodyAt: number } | undefined)[] = [];
    await this.log.rewrite(this.liveRecords(targets), (offsets) => {
      targets.forEach((t, i) => {
        if (t) t.e.body = offsets[i]! + t.bodyAt;
      });
    });
  }

  /** The records of what is durable now, read lazily while the log is paused (record-log.ts). */
  private async *liveRecords(
    targets: ({ e: Held; bodyAt: number } | undefined)[],
  ): AsyncGenerator<Uint8Array> {
    const entries = [...this.entries.values()];
    // An ID no later message can repeat, even once every entry is gone.
    targets.push(undefined);
    // The lease of early sends too (ADR 0066): an ID sent before its record was durable stays covered.
    const next = this.ids.next();
    const floor = next > this.floorDurable ? next : this.floorDurable;
    yield encodeOutboxRecord({ kind: 'floor', meta: { id: floor } }).payload;
    for (const e of entries) {
      // Not yet durable: its own record follows in the new file.
      if (this.entries.get(e.id) !== e || !e.durable) continue;
      const body =
        e.body === undefined
          ? undefined
          : typeof e.body === 'number'
            ? await this.log.read(e.body, e.size)
            : e.body;
      const { payload, bodyAt } = encodeOutboxRecord({
        kind: 'entry',
        meta: metaOf(e),
        ...(body ? { body } : {}),
      });
      targets.push(body ? { e, bodyAt } : undefined);
      yield payload;
    }
  }
}

/** Why `input` cannot be queued, or undefined. */
function newMessageProblem(input: NewMessage): string | undefined {
  const topic = input.topic ?? DEFAULT_TOPIC;
  const ttlMs = input.ttlMs ?? DEFAULT_MESSAGE_TTL_MS;
  return (
    (!FINGERPRINT.test(input.peer)
      ? 'the peer must be a fingerprint (64 lowercase hex characters)'
      : undefined) ??
    (input.body.length > MAX_MESSAGE_BODY_BYTES
      ? `a message is at most 1 MiB (${MAX_MESSAGE_BODY_BYTES} bytes); this one is ${input.body.length} bytes: send it as a file instead`
      : undefined) ??
    topicProblem(topic) ??
    ttlProblem(ttlMs) ??
    (input.text && !isUtf8(input.body) ? 'a text message must be UTF-8; send it as bytes' : undefined) ??
    (input.replyTo !== undefined ? uuidV7Problem(input.replyTo) : undefined) ??
    (input.error && input.replyTo === undefined ? 'an error message must answer one (replyTo)' : undefined)
  );
}

function metaOf(e: Held): MessageMeta & { peer: string; state: OutboxState; why?: Why; at: number } {
  const meta: MessageMeta & { peer: string; state: OutboxState; why?: Why; at: number } = {
    id: e.id,
    topic: e.topic,
    text: e.text,
    ttlMs: e.ttlMs,
    size: e.size,
    peer: e.peer,
    state: e.state === 'sent' ? 'queued' : e.state,
    at: e.stateAt,
  };
  if (e.replyTo !== undefined) meta.replyTo = e.replyTo;
  if (e.error) meta.error = true;
  if (e.why && (e.state === 'refused' || e.state === 'expired')) meta.why = e.why;
  return meta;
}

function viewOf(e: Held): OutboxEntry {
  const { body: _body, durable: _durable, early: _early, cached: _cached, ...view } = e;
  return view;
}

/** The last UUIDv7 of millisecond `ms` (every random bit set): the floor that covers all of it. */
function lastIdOfMs(ms: number): string {
  const t = Math.floor(ms).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7fff-bfff-ffffffffffff`;
}

/** A copy of `bytes` (from Node's buffer pool when small: no ArrayBuffer of its own per message). */
function pooledCopy(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.from(bytes);
  return new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
