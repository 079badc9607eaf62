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
 * Its parts: one message and the rules about it (outbox-entry.ts); the messages in memory, their
 * tallies and bounds (outbox-table.ts); the early-send floor (outbox-floor.ts); rewriting the log
 * (outbox-log.ts: replaying it, rewriting it). This module takes the calls, records each change and
 * tells listeners.
 */
import { Emitter } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { UuidV7Generator, uuidV7Time } from '../core/uuid-v7.js';
import { DEFAULT_MESSAGE_TTL_MS, DEFAULT_TOPIC } from '../protocol/message-frames.js';
import {
  decodeOutboxRecord,
  encodeOutboxRecord,
  stateRank,
  type OutboxRecord,
  type OutboxState,
  type Why,
} from './box-records.js';
import type { LogFolder } from './log-files.js';
import {
  FINISHED,
  isPending,
  metaOf,
  newMessageProblem,
  pooledCopy,
  viewOf,
  type Held,
  type NewMessage,
  type OutboxEntry,
} from './outbox-entry.js';
import { messageBurst } from './message-burst.js';
import { EarlySendFloor } from './outbox-floor.js';
import { compactOutboxLog, replayOutboxRecord } from './outbox-log.js';
import { DEFAULT_OUTBOX_LIMITS, OutboxTable, type OutboxLimits } from './outbox-table.js';
import { RecordLog, type LogRecovery, type LogStats } from './record-log.js';

/** The outbox's file in the messages folder. */
export const OUTBOX_FILE = 'outbox.log';

/**
 * Most messages one `queueMany` takes (a client's batch, `messages.sendMany`, is smaller): their
 * records go to the log in one group commit.
 */
export const MAX_QUEUE_BATCH = 10_000;

export interface OutboxOptions {
  now?: () => number;
  limits?: Partial<OutboxLimits>;
  ids?: UuidV7Generator;
}

export class Outbox {
  /** The messages in memory, their tallies and bounds. */
  private readonly table: OutboxTable;
  /** By ID, in ID order (= the order queued): the table's, read here. */
  private readonly entries: ReadonlyMap<string, Held>;
  private readonly now: () => number;
  private readonly ids: UuidV7Generator;
  private readonly floor: EarlySendFloor;
  private compacting: Promise<void> | undefined;
  /** Log size at which compaction is next considered (once per MiB written, not per record). */
  private nextCompactCheck = 0;
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
    this.now = options.now ?? Date.now;
    this.table = new OutboxTable({ ...DEFAULT_OUTBOX_LIMITS, ...options.limits }, this.now);
    this.entries = this.table.entries;
    this.ids = options.ids ?? new UuidV7Generator({ now: this.now });
    this.floor = new EarlySendFloor(this.now);
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
    for (const { record, bodyPos } of replayed) {
      replayOutboxRecord(outbox.table, outbox.ids, outbox.floor, record, bodyPos);
    }
    outbox.table.sweep();
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
      full = this.table.roomProblem(input.peer, input.body.length, inputs.length - helds.length);
      if (full) break;
      helds.push(this.hold(input));
    }
    if (helds.length === 0) throw full!;
    messageBurst.add(helds.length);
    const lastId = helds[helds.length - 1]!.id;
    const early = lastId <= this.floor.durable && this.awaitingRecord === 0;
    if (!early) this.awaitingRecord += helds.length;
    const recording = this.record(helds, !early && lastId > this.floor.writing ? lastId : undefined);
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
    this.table.add(held);
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
    const floor = floorAbove === undefined ? undefined : this.floor.record(floorAbove);
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
        this.table.cache(held, body);
      }
    } catch (err) {
      if (this.entries.get(held.id) === held) this.table.remove(held.id);
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
    return this.table.waitingCount(peer);
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
    this.table.setState(e, 'sent', this.now(), undefined);
    this.events.emit('changed', viewOf(e));
  }

  /** The receiver cannot take it yet (INBOX_FULL): queued again, saying why (not recorded). */
  markWaiting(peer: string, id: string, why: Why): void {
    const e = this.entries.get(id);
    if (e?.peer !== peer || (e.state !== 'queued' && e.state !== 'sent')) return;
    this.table.setState(e, 'queued', this.now(), why);
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
    this.table.sweep();
    this.maybeCompact();
  }

  /** Removes messages from the outbox (an undelivered one is then never sent); returns those removed. */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone = ids.filter((id) => this.entries.get(id)?.durable);
    if (gone.length === 0) return [];
    for (const id of gone) this.table.remove(id);
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
      this.table.setState(e, state, at, why);
      this.events.emit('changed', viewOf(e));
    }
    if (FINISHED.has(state)) this.table.trimFinished(peer);
    this.maybeCompact();
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

  private compact(): Promise<void> {
    return compactOutboxLog(this.log, this.table, this.ids, this.floor);
  }
}
