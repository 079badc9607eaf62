/**
 * The inbox: messages peers put here, each exactly once (ADR 0046).
 *
 * `offer` decides synchronously, in the order a sender's frames arrive: a message past its TTL is
 * refused for good (EXPIRED); one whose ID is at or below the highest this sender has put in the same
 * topic (its mark) is a repeat and is dropped (the sender resends in order from the start of every
 * link, so any ID below the mark was held here, or refused: those refusals are remembered); one
 * larger than the sender's whole quota, or on one topic too many, is refused for good; one that does
 * not fit the sender's quota now — after
 * the oldest messages a program already read were let go — is refused with INBOX_FULL, which is not
 * final. Anything else is accepted: held here and handed to listeners (`message`) at once, while its
 * record is being written (group commit); DELIVERED waits until that record is durable (ADR 0066).
 * A listener may thus see a message a crash then loses before it was durable: the sender, which never
 * got DELIVERED, sends it again with the same ID, and it is shown again — at least once to a live
 * listener, exactly once into the inbox.
 *
 * Marks are kept until every message under them is past its TTL (then a resend would be refused as
 * expired anyway), so a repeat is caught without remembering every ID: memory is per topic, not per
 * message. Messages leave the inbox when deleted or when their TTL passes, read or not.
 *
 * A message is known by its sender and its ID: the sender chose the ID, so another peer may send the
 * same one, and that is another message (never a repeat of this one, never in its place). A program
 * names messages by ID alone (`markRead`, `delete`): those act on every message held with that ID.
 *
 * Final refusals are remembered in the log (a resend after a restart gets the same answer), at most
 * `refusalsPerPeer` per sender; the records of those forgotten are dead weight, and compaction runs
 * once they pass REFUSALS_COMPACT_BYTES, so a peer whose messages are all refused costs this disk a
 * bounded file, not one record per refusal.
 *
 * Its parts: one message and the pure rules about it (inbox-entry.ts); the acceptance rules
 * (inbox-acceptance.ts); the messages in memory and their bounds (inbox-table.ts) with the bodies kept
 * for listeners (inbox-body-cache.ts); the marks and refusals per sender (inbox-senders.ts); the log
 * replayed and rewritten (inbox-log.ts). This module takes the calls, records each change and tells
 * listeners.
 */
import { Emitter } from '../core/emitter.js';
import { uuidV7Time } from '../core/uuid-v7.js';
import { type MessageFrameMsg, type MessageRefusalCode } from '../protocol/message-frames.js';
import { decodeInboxRecord, encodeInboxRecord, type InboxRecord } from './box-records.js';
import { judgeOffer } from './inbox-acceptance.js';
import { bodyInMemory } from './inbox-body-cache.js';
import { keysOf, recordMeta, viewOf, type Held, type InboxEntry } from './inbox-entry.js';
import { compactInboxLog, replayInboxRecord, type InboxParts } from './inbox-log.js';
import { FinalRefusals, TopicMarks, type Refusal } from './inbox-senders.js';
import { DEFAULT_INBOX_LIMITS, InboxTable, type InboxLimits } from './inbox-table.js';
import type { LogFolder } from './log-files.js';
import { RecordLog, type LogRecovery, type LogStats } from './record-log.js';

export { BODY_CACHE_BYTES } from './inbox-body-cache.js';
export type { InboxEntry } from './inbox-entry.js';
export { DEFAULT_INBOX_LIMITS, type InboxLimits } from './inbox-table.js';

/** The inbox's file in the messages folder. */
export const INBOX_FILE = 'inbox.log';

/** What `offer` decided; `durable` settles once the decision is on disk (reply only then). */
export type Offer =
  | { kind: 'accepted'; entry: InboxEntry; durable: Promise<unknown> }
  | { kind: 'duplicate'; durable: Promise<unknown> }
  | { kind: 'refused'; code: MessageRefusalCode; reason: string; durable: Promise<unknown> };

/**
 * Bytes of forgotten refusal records (and the checks of other dead records) that start a compaction
 * at the least (1 MiB); a larger inbox waits for a quarter of its live size, so a flood of refusals
 * rewrites it at most four times over.
 */
export const REFUSALS_COMPACT_BYTES = 1024 * 1024;

export interface InboxOptions {
  now?: () => number;
  limits?: Partial<InboxLimits>;
}

export class Inbox {
  private readonly table: InboxTable;
  /** Per sender: per topic, the mark. */
  private readonly marks = new TopicMarks();
  /** Per sender: final refusals by ID, oldest first. */
  private readonly refusals: FinalRefusals;
  private readonly limits: InboxLimits;
  private readonly now: () => number;
  private compacting: Promise<void> | undefined;
  private nextCompactCheck = 0;
  /**
   * `message`: accepted here, its record on its way to disk (a program may take it; ADR 0066). `read`:
   * a program took these of `from`'s (durably recorded). `room`: something of `from`'s left, so a
   * sender told INBOX_FULL may try again.
   */
  readonly events = new Emitter<{
    message: [InboxEntry];
    read: [from: string, ids: string[]];
    room: [from: string];
    /** A message refused here (for the audit log): a new decision, not the answer to a repeat. */
    refused: [refusal: { from: string; id: string; topic: string; code: MessageRefusalCode; reason: string }];
  }>();

  private constructor(
    private readonly log: RecordLog,
    options: InboxOptions,
  ) {
    this.limits = { ...DEFAULT_INBOX_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.table = new InboxTable(this.limits);
    this.refusals = new FinalRefusals(this.limits.refusalsPerPeer);
  }

  /** What the log holds, for replaying and rewriting it (inbox-log.ts). */
  private get parts(): InboxParts {
    return { table: this.table, marks: this.marks, refusals: this.refusals };
  }

  static async open(
    folder: LogFolder,
    options: InboxOptions = {},
  ): Promise<{ inbox: Inbox; recovery: LogRecovery & { skipped: number } }> {
    const replayed: { record: InboxRecord; bodyPos: number }[] = [];
    let skipped = 0;
    const { log, recovery } = await RecordLog.open(folder, INBOX_FILE, (payload, offset) => {
      try {
        const { record, bodyAt } = decodeInboxRecord(payload);
        replayed.push({ record, bodyPos: offset + bodyAt });
      } catch {
        skipped++;
      }
    });
    const inbox = new Inbox(log, options);
    for (const { record, bodyPos } of replayed) replayInboxRecord(inbox.parts, record, bodyPos);
    inbox.dropExpired();
    return { inbox, recovery: { ...recovery, skipped } };
  }

  get stats(): LogStats {
    return this.log.stats;
  }

  /** Decides what to do with `msg` from `from` (see the module comment); records what it accepts or refuses for good. */
  offer(from: string, msg: MessageFrameMsg): Offer {
    const offer = this.decide(from, msg);
    if (offer.kind === 'refused' && !this.refusals.get(from, msg.id)?.durable) {
      this.events.emit('refused', {
        from,
        id: msg.id,
        topic: msg.topic,
        code: offer.code,
        reason: offer.reason,
      });
    }
    return offer;
  }

  private decide(from: string, msg: MessageFrameMsg): Offer {
    const now = this.now();
    const expiresAt = uuidV7Time(msg.id) + msg.ttlMs;
    const verdict = judgeOffer(msg, expiresAt, now, this.senderView(from, msg), this.limits);
    switch (verdict.kind) {
      case 'expired':
        return {
          kind: 'refused',
          code: 'EXPIRED',
          reason: 'the message expired before it arrived',
          durable: Promise.resolve(),
        };
      case 'duplicate':
        return { kind: 'duplicate', durable: this.log.durableSoFar() };
      case 'refused-before': {
        const { code, reason } = verdict.refusal;
        return { kind: 'refused', code, reason, durable: this.log.durableSoFar() };
      }
      case 'refuse':
        return this.refuse(from, msg, expiresAt, verdict.code, verdict.reason);
      case 'full':
        return { kind: 'refused', code: 'INBOX_FULL', reason: verdict.reason, durable: Promise.resolve() };
      case 'accept':
        return this.accept(from, msg, expiresAt, now);
    }
  }

  /** What judgeOffer needs to know of `from` for `msg`. */
  private senderView(from: string, msg: MessageFrameMsg) {
    return {
      held: this.table.get(from, msg.id) !== undefined,
      mark: this.marks.get(from, msg.topic),
      refusal: this.refusals.get(from, msg.id),
      topicCount: this.marks.topicCount(from),
      makeRoom: () => this.makeRoom(from, msg.body.length),
    };
  }

  /** Holds `msg` and hands it to listeners at once; its record goes to disk meanwhile (group commit). */
  private accept(from: string, msg: MessageFrameMsg, expiresAt: number, now: number): Offer {
    const held: Held = {
      id: msg.id,
      topic: msg.topic,
      text: msg.text,
      ttlMs: msg.ttlMs,
      size: msg.body.length,
      from,
      sentAt: uuidV7Time(msg.id),
      expiresAt,
      receivedAt: now,
      read: false,
      body: msg.body,
      durable: false,
    };
    if (msg.replyTo !== undefined) held.replyTo = msg.replyTo;
    if (msg.error) held.error = true;
    this.table.hold(held);
    const m = this.marks.markOf(from, msg.topic);
    m.id = msg.id;
    m.until = Math.max(m.until, expiresAt);
    const { payload, bodyAt } = encodeInboxRecord({
      kind: 'message',
      meta: recordMeta(held),
      body: msg.body,
    });
    const durable = this.log.append(payload).then((offset) => {
      if (m.durableId === undefined || msg.id > m.durableId) m.durableId = msg.id;
      if (!this.table.holds(held)) return;
      this.table.cache.keep(held, msg.body);
      held.body = offset + bodyAt;
      held.durable = true;
      this.maybeCompact();
    });
    // Listeners get it now, while the write and the sync run on the thread pool: only the receipt
    // has to wait for them (ADR 0066).
    const entry = viewOf(held);
    this.events.emit('message', entry);
    return { kind: 'accepted', entry, durable };
  }

  /**
   * Messages held (accepted: durable, or their record on its way, as `message` reported them), oldest
   * first, filtered.
   */
  list(filter: { from?: string; topic?: string; unread?: boolean } = {}): InboxEntry[] {
    const out: InboxEntry[] = [];
    for (const e of this.table.entries.values()) {
      if (filter.from !== undefined && e.from !== filter.from) continue;
      if (filter.topic !== undefined && e.topic !== filter.topic) continue;
      if (filter.unread && e.read) continue;
      out.push(viewOf(e));
    }
    return out;
  }

  /** The message `from` sent with `id` (without `from`: the first held with that ID). */
  get(id: string, from?: string): InboxEntry | undefined {
    const e = this.table.find(id, from);
    return e && viewOf(e);
  }

  /** A held message's body when it is in memory (no file read needed), else undefined. */
  cachedBody(id: string, from?: string): Uint8Array | undefined {
    const e = this.table.find(id, from);
    return e && bodyInMemory(e);
  }

  /** A held message's body (undefined when it is not here). */
  async body(id: string, from?: string): Promise<Uint8Array | undefined> {
    const e = this.table.find(id, from);
    if (!e) return undefined;
    if (e.cached) return e.cached;
    return typeof e.body === 'number' ? this.log.read(e.body, e.size) : e.body;
  }

  /**
   * A program took these: recorded, then `read` per sender. Returns the IDs newly read. A message whose
   * own record is still on its way counts too: the read record follows it in the log, so once this
   * one is durable so is the message, and a READ never precedes the message's durability.
   */
  async markRead(ids: readonly string[]): Promise<string[]> {
    const fresh = this.table.allOf(ids).filter((e) => !e.read);
    if (fresh.length === 0) return [];
    await this.log.append(encodeInboxRecord({ kind: 'read', meta: keysOf(fresh) }).payload);
    const bySender = new Map<string, string[]>();
    for (const e of fresh) {
      const id = e.id;
      if (!this.table.holds(e) || e.read) continue;
      e.read = true;
      this.table.cache.drop(e);
      // Pushed, not spread: an ack of 1,000 IDs was 500,000 copies.
      const list = bySender.get(e.from);
      if (list) list.push(id);
      else bySender.set(e.from, [id]);
    }
    for (const [from, list] of bySender) {
      this.events.emit('read', from, list);
      this.events.emit('room', from); // read messages make way for new ones
    }
    return [...new Set([...bySender.values()].flat())];
  }

  /** Of `ids`, those `from` put here that a program has read (for WANT_READ). */
  readOf(from: string, ids: readonly string[]): string[] {
    return ids.filter((id) => this.table.get(from, id)?.read === true);
  }

  /**
   * Removes every message held with one of `ids`; returns the IDs removed. Their IDs stay known
   * (marks): a resend is still a repeat.
   */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone = this.table.allOf(ids);
    if (gone.length === 0) return [];
    const senders = new Set(gone.map((e) => e.from));
    for (const e of gone) this.table.unhold(e);
    await this.log.append(encodeInboxRecord({ kind: 'delete', meta: keysOf(gone) }).payload);
    for (const from of senders) this.events.emit('room', from);
    this.maybeCompact();
    return [...new Set(gone.map((e) => e.id))];
  }

  /** Lets go of messages, marks and refusals whose TTL passed. Call it now and then. */
  expire(): void {
    for (const from of this.dropExpired()) this.events.emit('room', from);
    this.maybeCompact();
  }

  /** Waits for queued writes and any compaction, then closes the log. */
  async close(): Promise<void> {
    await this.compacting;
    await this.log.close();
  }

  private refuse(
    from: string,
    msg: MessageFrameMsg,
    until: number,
    code: MessageRefusalCode,
    reason: string,
  ): Offer {
    const { payload } = encodeInboxRecord({
      kind: 'refused',
      meta: { id: msg.id, from, topic: msg.topic, code, reason, until },
    });
    const refusal: Refusal = { code, reason, topic: msg.topic, until, durable: false, bytes: payload.length };
    this.refusals.remember(from, msg.id, refusal);
    const durable = this.log.append(payload).then(() => {
      refusal.durable = true;
      this.maybeCompact();
    });
    return { kind: 'refused', code, reason, durable };
  }

  /** Whether `size` more bytes from `from` fit, letting read messages go (oldest first) to make room. */
  private makeRoom(from: string, size: number): boolean {
    const evicted = this.table.evictReadFor(from, size);
    // Lazily: should the record be lost, the read messages come back until the next one evicts them.
    if (evicted.length > 0)
      this.log.appendLazy(encodeInboxRecord({ kind: 'delete', meta: keysOf(evicted) }).payload);
    return this.table.fits(from, size);
  }

  /** Removes what expired; returns the senders whose messages left. */
  private dropExpired(): Set<string> {
    const now = this.now();
    const senders = this.table.dropExpired(now);
    this.marks.dropExpired(now);
    this.refusals.dropExpired(now);
    return senders;
  }

  /**
   * As Outbox: rewrite when dead records outweigh the live ones (checked once per MiB written), or
   * when forgotten refusals pass REFUSALS_COMPACT_BYTES (or a quarter of what is live).
   */
  private maybeCompact(): void {
    if (this.compacting) return;
    const { heldBytes } = this.table;
    const refusalsDead = this.refusals.deadBytes >= Math.max(REFUSALS_COMPACT_BYTES, heldBytes / 4);
    if (!refusalsDead && this.log.size < this.nextCompactCheck) return;
    this.nextCompactCheck = this.log.size + 1024 * 1024;
    if (!refusalsDead && this.log.size <= 2 * heldBytes + 1024 * 1024) return;
    this.refusals.deadBytes = 0;
    this.compacting = this.compact()
      .catch(() => undefined)
      .finally(() => {
        this.compacting = undefined;
        this.nextCompactCheck = this.log.size + 1024 * 1024;
      });
  }

  private compact(): Promise<void> {
    return compactInboxLog(this.log, this.parts);
  }
}
