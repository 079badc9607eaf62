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
 */
import { Emitter } from '../core/emitter.js';
import { uuidV7Time } from '../core/uuid-v7.js';
import { type MessageFrameMsg, type MessageRefusalCode } from '../protocol/message-frames.js';
import { decodeInboxRecord, encodeInboxRecord, type InboxRecord, type MessageMeta } from './box-records.js';
import type { LogFolder } from './log-files.js';
import { RecordLog, type LogRecovery, type LogStats } from './record-log.js';

/** The inbox's file in the messages folder. */
export const INBOX_FILE = 'inbox.log';

export interface InboxLimits {
  /** Messages held per sender (read ones are let go first when a new one needs the room). */
  messagesPerPeer: number;
  /** Bytes of bodies held per sender. */
  bytesPerPeer: number;
  /** Topics whose mark is remembered per sender. */
  topicsPerPeer: number;
  /** Final refusals remembered per sender (so a resend gets the same answer). */
  refusalsPerPeer: number;
}

export const DEFAULT_INBOX_LIMITS: InboxLimits = {
  messagesPerPeer: 10_000,
  bytesPerPeer: 64 * 1024 * 1024,
  topicsPerPeer: 10_000,
  refusalsPerPeer: 1_000,
};

/** One message as the inbox shows it. */
export interface InboxEntry extends MessageMeta {
  /** The sender's fingerprint. */
  from: string;
  sentAt: number;
  expiresAt: number;
  receivedAt: number;
  read: boolean;
}

/** What `offer` decided; `durable` settles once the decision is on disk (reply only then). */
export type Offer =
  | { kind: 'accepted'; entry: InboxEntry; durable: Promise<unknown> }
  | { kind: 'duplicate'; durable: Promise<unknown> }
  | { kind: 'refused'; code: MessageRefusalCode; reason: string; durable: Promise<unknown> };

interface Held extends InboxEntry {
  body: Uint8Array | number;
  durable: boolean;
  /** The body kept in memory while unread (BODY_CACHE_BYTES), so a listener reads no file. */
  cached?: Uint8Array;
}

/** Bodies of unread messages kept in memory, in bytes (16 MiB): a listener takes them as they come. */
export const BODY_CACHE_BYTES = 16 * 1024 * 1024;

interface Mark {
  /** Highest ID accepted in the topic (durable or not). */
  id: string;
  /** Highest ID accepted whose record is durable: what compaction may write. */
  durableId: string | undefined;
  /** Latest expiry among the messages accepted in the topic, in ms. */
  until: number;
}

interface Refusal {
  code: MessageRefusalCode;
  reason: string;
  topic: string;
  until: number;
  durable: boolean;
}

export interface InboxOptions {
  now?: () => number;
  limits?: Partial<InboxLimits>;
}

export class Inbox {
  private readonly entries = new Map<string, Held>();
  /** Per sender: per topic, the mark. */
  private readonly marks = new Map<string, Map<string, Mark>>();
  /** Per sender: final refusals by ID, oldest first. */
  private readonly refusals = new Map<string, Map<string, Refusal>>();
  /** Per sender: messages and bytes held (durable or not). */
  private readonly usage = new Map<string, { count: number; bytes: number }>();
  private readonly limits: InboxLimits;
  private readonly now: () => number;
  private compacting: Promise<void> | undefined;
  private nextCompactCheck = 0;
  private cachedBytes = 0;
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
    for (const { record, bodyPos } of replayed) inbox.replay(record, bodyPos);
    inbox.dropExpired();
    return { inbox, recovery: { ...recovery, skipped } };
  }

  get stats(): LogStats {
    return this.log.stats;
  }

  /** Decides what to do with `msg` from `from` (see the module comment); records what it accepts or refuses for good. */
  offer(from: string, msg: MessageFrameMsg): Offer {
    const offer = this.decide(from, msg);
    if (offer.kind === 'refused' && !this.refusals.get(from)?.get(msg.id)?.durable) {
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
    // First: the answer for an expired message needs no memory (a resend gets it again), and the
    // sender has given it up by its own clock too.
    if (expiresAt <= now) {
      return {
        kind: 'refused',
        code: 'EXPIRED',
        reason: 'the message expired before it arrived',
        durable: Promise.resolve(),
      };
    }
    const topics = this.marks.get(from);
    const mark = topics?.get(msg.topic);
    if (mark && msg.id <= mark.id) {
      const refused = this.refusals.get(from)?.get(msg.id);
      if (refused)
        return {
          kind: 'refused',
          code: refused.code,
          reason: refused.reason,
          durable: this.log.durableSoFar(),
        };
      return { kind: 'duplicate', durable: this.log.durableSoFar() };
    }
    if (msg.body.length > this.limits.bytesPerPeer) {
      return this.refuse(
        from,
        msg,
        expiresAt,
        'TOO_LARGE',
        `a message from this peer may have at most ${this.limits.bytesPerPeer} bytes here`,
      );
    }
    if (!mark && (topics?.size ?? 0) >= this.limits.topicsPerPeer) {
      return this.refuse(
        from,
        msg,
        expiresAt,
        'TOO_MANY_TOPICS',
        `this peer already has ${this.limits.topicsPerPeer} topics here`,
      );
    }
    if (!this.makeRoom(from, msg.body.length)) {
      return {
        kind: 'refused',
        code: 'INBOX_FULL',
        reason: `the inbox holds as much from this peer as it takes (${this.limits.messagesPerPeer} messages or ${this.limits.bytesPerPeer / 1024 / 1024} MiB) until some is read or deleted`,
        durable: Promise.resolve(),
      };
    }
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
    this.hold(held);
    const m = this.markOf(from, msg.topic);
    m.id = msg.id;
    m.until = Math.max(m.until, expiresAt);
    const { payload, bodyAt } = encodeInboxRecord({
      kind: 'message',
      meta: recordMeta(held),
      body: msg.body,
    });
    const durable = this.log.append(payload).then((offset) => {
      if (m.durableId === undefined || msg.id > m.durableId) m.durableId = msg.id;
      if (this.entries.get(held.id) !== held) return;
      if (!held.read && this.cachedBytes + held.size <= BODY_CACHE_BYTES) {
        held.cached = msg.body;
        this.cachedBytes += held.size;
      }
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
    for (const e of this.entries.values()) {
      if (filter.from !== undefined && e.from !== filter.from) continue;
      if (filter.topic !== undefined && e.topic !== filter.topic) continue;
      if (filter.unread && e.read) continue;
      out.push(viewOf(e));
    }
    return out;
  }

  get(id: string): InboxEntry | undefined {
    const e = this.entries.get(id);
    return e && viewOf(e);
  }

  /** A held message's body when it is in memory (no file read needed), else undefined. */
  cachedBody(id: string): Uint8Array | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return e.cached ?? (typeof e.body === 'number' ? undefined : e.body);
  }

  /** A held message's body (undefined when it is not here). */
  async body(id: string): Promise<Uint8Array | undefined> {
    const e = this.entries.get(id);
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
    const fresh = ids.filter((id) => {
      const e = this.entries.get(id);
      return e !== undefined && !e.read;
    });
    if (fresh.length === 0) return [];
    await this.log.append(encodeInboxRecord({ kind: 'read', meta: { ids: fresh } }).payload);
    const bySender = new Map<string, string[]>();
    for (const id of fresh) {
      const e = this.entries.get(id);
      if (!e || e.read) continue;
      e.read = true;
      this.uncache(e);
      // Pushed, not spread: an ack of 1,000 IDs was 500,000 copies.
      const list = bySender.get(e.from);
      if (list) list.push(id);
      else bySender.set(e.from, [id]);
    }
    for (const [from, list] of bySender) {
      this.events.emit('read', from, list);
      this.events.emit('room', from); // read messages make way for new ones
    }
    return [...bySender.values()].flat();
  }

  /** Of `ids`, those `from` put here that a program has read (for WANT_READ). */
  readOf(from: string, ids: readonly string[]): string[] {
    return ids.filter((id) => {
      const e = this.entries.get(id);
      return e?.from === from && e.read;
    });
  }

  /** Removes messages; returns the IDs removed. Their IDs stay known (marks): a resend is still a repeat. */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone = ids.filter((id) => this.entries.has(id));
    if (gone.length === 0) return [];
    const senders = new Set(gone.map((id) => this.entries.get(id)!.from));
    for (const id of gone) this.unhold(id);
    await this.log.append(encodeInboxRecord({ kind: 'delete', meta: { ids: gone } }).payload);
    for (const from of senders) this.events.emit('room', from);
    this.maybeCompact();
    return gone;
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
    const list = this.refusals.get(from) ?? new Map<string, Refusal>();
    this.refusals.set(from, list);
    const refusal: Refusal = { code, reason, topic: msg.topic, until, durable: false };
    list.set(msg.id, refusal);
    while (list.size > this.limits.refusalsPerPeer) list.delete(list.keys().next().value!);
    const durable = this.log
      .append(
        encodeInboxRecord({
          kind: 'refused',
          meta: { id: msg.id, from, topic: msg.topic, code, reason, until },
        }).payload,
      )
      .then(() => {
        refusal.durable = true;
      });
    return { kind: 'refused', code, reason, durable };
  }

  /** Whether `size` more bytes from `from` fit, letting read messages go (oldest first) to make room. */
  private makeRoom(from: string, size: number): boolean {
    const fits = () => {
      const u = this.usage.get(from) ?? { count: 0, bytes: 0 };
      return u.count + 1 <= this.limits.messagesPerPeer && u.bytes + size <= this.limits.bytesPerPeer;
    };
    if (fits()) return true;
    const evicted: string[] = [];
    for (const e of this.entries.values()) {
      if (e.from !== from || !e.read || !e.durable) continue;
      this.unhold(e.id);
      evicted.push(e.id);
      if (fits()) break;
    }
    // Lazily: should the record be lost, the read messages come back until the next one evicts them.
    if (evicted.length > 0)
      this.log.appendLazy(encodeInboxRecord({ kind: 'delete', meta: { ids: evicted } }).payload);
    return fits();
  }

  private hold(e: Held): void {
    this.entries.set(e.id, e);
    const u = this.usage.get(e.from) ?? { count: 0, bytes: 0 };
    u.count++;
    u.bytes += e.size;
    this.usage.set(e.from, u);
  }

  private uncache(e: Held): void {
    if (!e.cached) return;
    this.cachedBytes -= e.size;
    delete e.cached;
  }

  private unhold(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.uncache(e);
    this.entries.delete(id);
    const u = this.usage.get(e.from);
    if (!u) return;
    u.count--;
    u.bytes -= e.size;
    if (u.count === 0) this.usage.delete(e.from);
  }

  private markOf(from: string, topic: string): Mark {
    let topics = this.marks.get(from);
    if (!topics) this.marks.set(from, (topics = new Map<string, Mark>()));
    let m = topics.get(topic);
    if (!m) topics.set(topic, (m = { id: '', durableId: undefined, until: 0 }));
    return m;
  }

  /** Removes what expired; returns the senders whose messages left. */
  private dropExpired(): Set<string> {
    const now = this.now();
    const senders = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.durable && e.expiresAt <= now) {
        this.unhold(e.id);
        senders.add(e.from);
      }
    }
    for (const [from, topics] of this.marks) {
      for (const [topic, m] of topics) if (m.until <= now) topics.delete(topic);
      if (topics.size === 0) this.marks.delete(from);
    }
    for (const [from, list] of this.refusals) {
      for (const [id, r] of list) if (r.until <= now) list.delete(id);
      if (list.size === 0) this.refusals.delete(from);
    }
    return senders;
  }

  private replay(record: InboxRecord, bodyPos: number): void {
    switch (record.kind) {
      case 'message': {
        const m = record.meta;
        const sentAt = uuidV7Time(m.id);
        const expiresAt = sentAt + m.ttlMs;
        this.raiseMark(m.from, m.topic, m.id, expiresAt);
        const e = this.entries.get(m.id);
        if (e) {
          e.read ||= m.read;
          return;
        }
        this.hold({ ...m, sentAt, expiresAt, body: bodyPos, durable: true });
        return;
      }
      case 'read':
        for (const id of record.meta.ids) {
          const e = this.entries.get(id);
          if (e) e.read = true;
        }
        return;
      case 'delete':
        for (const id of record.meta.ids) this.unhold(id);
        return;
      case 'refused': {
        const { from, id, ...r } = record.meta;
        const list = this.refusals.get(from) ?? new Map<string, Refusal>();
        this.refusals.set(from, list);
        list.set(id, { ...r, durable: true });
        return;
      }
      case 'mark':
        this.raiseMark(record.meta.from, record.meta.topic, record.meta.id, record.meta.until);
    }
  }

  private raiseMark(from: string, topic: string, id: string, until: number): void {
    const m = this.markOf(from, topic);
    if (id > m.id) m.id = id;
    if (m.durableId === undefined || id > m.durableId) m.durableId = id;
    m.until = Math.max(m.until, until);
  }

  /** As Outbox: rewrite when dead records outweigh the live ones (checked once per MiB written). */
  private maybeCompact(): void {
    if (this.compacting || this.log.size < this.nextCompactCheck) return;
    let live = 0;
    for (const e of this.entries.values()) live += 200 + e.size;
    this.nextCompactCheck = this.log.size + 1024 * 1024;
    if (this.log.size <= 2 * live + 1024 * 1024) return;
    this.compacting = this.compact()
      .catch(() => undefined)
      .finally(() => {
        this.compacting = undefined;
        this.nextCompactCheck = this.log.size + 1024 * 1024;
      });
  }

  private async compact(): Promise<void> {
    /** Per record written, the message whose body it carries (undefined for marks and refusals). */
    const targets: ({ e: Held; bodyAt: number } | undefined)[] = [];
    await this.log.rewrite(this.liveRecords(targets), (offsets) => {
      targets.forEach((t, i) => {
        if (t) t.e.body = offsets[i]! + t.bodyAt;
      });
    });
  }

  /**
   * The records of what is durable now, read lazily while the log is paused: a record still on its
   * way follows in the new file (record-log.ts), and a mark written ahead of its message would make
   * a resend of a message that was lost a "repeat".
   */
  private async *liveRecords(
    targets: ({ e: Held; bodyAt: number } | undefined)[],
  ): AsyncGenerator<Uint8Array> {
    const entries = [...this.entries.values()];
    for (const [from, topics] of this.marks) {
      for (const [topic, m] of topics) {
        if (m.durableId === undefined) continue;
        targets.push(undefined);
        yield encodeInboxRecord({ kind: 'mark', meta: { from, topic, id: m.durableId, until: m.until } })
          .payload;
      }
    }
    for (const [from, list] of this.refusals) {
      for (const [id, r] of list) {
        if (!r.durable) continue;
        targets.push(undefined);
        const meta = { id, from, topic: r.topic, code: r.code, reason: r.reason, until: r.until };
        yield encodeInboxRecord({ kind: 'refused', meta }).payload;
      }
    }
    for (const e of entries) {
      if (this.entries.get(e.id) !== e || !e.durable) continue;
      const body = typeof e.body === 'number' ? await this.log.read(e.body, e.size) : e.body;
      const { payload, bodyAt } = encodeInboxRecord({ kind: 'message', meta: recordMeta(e), body });
      targets.push({ e, bodyAt });
      yield payload;
    }
  }
}

function recordMeta(e: Held): MessageMeta & { from: string; receivedAt: number; read: boolean } {
  const meta: MessageMeta & { from: string; receivedAt: number; read: boolean } = {
    id: e.id,
    topic: e.topic,
    text: e.text,
    ttlMs: e.ttlMs,
    size: e.size,
    from: e.from,
    receivedAt: e.receivedAt,
    read: e.read,
  };
  if (e.replyTo !== undefined) meta.replyTo = e.replyTo;
  if (e.error) meta.error = true;
  return meta;
}

function viewOf(e: Held): InboxEntry {
  const { body: _body, durable: _durable, cached: _cached, ...view } = e;
  return view;
}
