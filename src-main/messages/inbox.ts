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

/**
 * Bytes of forgotten refusal records (and the checks of other dead records) that start a compaction
 * at the least (1 MiB); a larger inbox waits for a quarter of its live size, so a flood of refusals
 * rewrites it at most four times over.
 */
export const REFUSALS_COMPACT_BYTES = 1024 * 1024;

/** About what one record adds to the log besides a body, in bytes (for the live size compaction weighs). */
const RECORD_BYTES = 200;

/** The inbox's key of a message: its sender's fingerprint and its ID (the sender chose the ID). */
function keyOf(from: string, id: string): string {
  return `${from}/${id}`;
}

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
  /** Bytes of its record in the log: dead once it is forgotten. */
  bytes: number;
}

export interface InboxOptions {
  now?: () => number;
  limits?: Partial<InboxLimits>;
}

export class Inbox {
  /** By keyOf(from, id), in the order they arrived. */
  private readonly entries = new Map<string, Held>();
  /** The messages held under each ID (one, unless two senders chose the same ID). */
  private readonly byId = new Map<string, Held[]>();
  /** RECORD_BYTES plus the body of every message held: the live size compaction weighs. */
  private heldBytes = 0;
  /** Bytes of refusal records written and since forgotten (evicted or expired), since the last compaction. */
  private deadRefusalBytes = 0;
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
    // Held already (sent again, maybe under another topic): a repeat, whatever its topic's mark says.
    if (this.entries.has(keyOf(from, msg.id))) return { kind: 'duplicate', durable: this.log.durableSoFar() };
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
      if (this.entries.get(keyOf(from, held.id)) !== held) return;
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

  /** The message `from` sent with `id` (without `from`: the first held with that ID). */
  get(id: string, from?: string): InboxEntry | undefined {
    const e = this.find(id, from);
    return e && viewOf(e);
  }

  /** A held message's body when it is in memory (no file read needed), else undefined. */
  cachedBody(id: string, from?: string): Uint8Array | undefined {
    const e = this.find(id, from);
    if (!e) return undefined;
    return e.cached ?? (typeof e.body === 'number' ? undefined : e.body);
  }

  /** A held message's body (undefined when it is not here). */
  async body(id: string, from?: string): Promise<Uint8Array | undefined> {
    const e = this.find(id, from);
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
    const fresh = this.allOf(ids).filter((e) => !e.read);
    if (fresh.length === 0) return [];
    await this.log.append(encodeInboxRecord({ kind: 'read', meta: keysOf(fresh) }).payload);
    const bySender = new Map<string, string[]>();
    for (const e of fresh) {
      const id = e.id;
      if (this.entries.get(keyOf(e.from, id)) !== e || e.read) continue;
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
    return [...new Set([...bySender.values()].flat())];
  }

  /** Of `ids`, those `from` put here that a program has read (for WANT_READ). */
  readOf(from: string, ids: readonly string[]): string[] {
    return ids.filter((id) => this.entries.get(keyOf(from, id))?.read === true);
  }

  /**
   * Removes every message held with one of `ids`; returns the IDs removed. Their IDs stay known
   * (marks): a resend is still a repeat.
   */
  async delete(ids: readonly string[]): Promise<string[]> {
    const gone = this.allOf(ids);
    if (gone.length === 0) return [];
    const senders = new Set(gone.map((e) => e.from));
    for (const e of gone) this.unhold(e);
    await this.log.append(encodeInboxRecord({ kind: 'delete', meta: keysOf(gone) }).payload);
    for (const from of senders) this.events.emit('room', from);
    this.maybeCompact();
    return [...new Set(gone.map((e) => e.id))];
  }

  /** The message `from` sent with `id`, or without `from` the first held with that ID. */
  private find(id: string, from?: string): Held | undefined {
    return from !== undefined ? this.entries.get(keyOf(from, id)) : this.byId.get(id)?.[0];
  }

  /** Every message held under one of `ids` (each once). */
  private allOf(ids: readonly string[]): Held[] {
    const out = new Set<Held>();
    for (const id of ids) for (const e of this.byId.get(id) ?? []) out.add(e);
    return [...out];
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
    const { payload } = encodeInboxRecord({
      kind: 'refused',
      meta: { id: msg.id, from, topic: msg.topic, code, reason, until },
    });
    const refusal: Refusal = { code, reason, topic: msg.topic, until, durable: false, bytes: payload.length };
    this.forgetRefusal(list.get(msg.id));
    list.set(msg.id, refusal);
    while (list.size > this.limits.refusalsPerPeer) {
      const oldest = list.keys().next().value!;
      this.forgetRefusal(list.get(oldest));
      list.delete(oldest);
    }
    const durable = this.log.append(payload).then(() => {
      refusal.durable = true;
      this.maybeCompact();
    });
    return { kind: 'refused', code, reason, durable };
  }

  /** A refusal record that is no longer live (its bytes count towards the next compaction). */
  private forgetRefusal(r: Refusal | undefined): void {
    if (r) this.deadRefusalBytes += r.bytes;
  }

  /** Whether `size` more bytes from `from` fit, letting read messages go (oldest first) to make room. */
  private makeRoom(from: string, size: number): boolean {
    const fits = () => {
      const u = this.usage.get(from) ?? { count: 0, bytes: 0 };
      return u.count + 1 <= this.limits.messagesPerPeer && u.bytes + size <= this.limits.bytesPerPeer;
    };
    if (fits()) return true;
    const evicted: Held[] = [];
    for (const e of this.entries.values()) {
      if (e.from !== from || !e.read || !e.durable) continue;
      this.unhold(e);
      evicted.push(e);
      if (fits()) break;
    }
    // Lazily: should the record be lost, the read messages come back until the next one evicts them.
    if (evicted.length > 0)
      this.log.appendLazy(encodeInboxRecord({ kind: 'delete', meta: keysOf(evicted) }).payload);
    return fits();
  }

  private hold(e: Held): void {
    const key = keyOf(e.from, e.id);
    const before = this.entries.get(key);
    if (before) this.unhold(before);
    this.entries.set(key, e);
    const same = this.byId.get(e.id);
    if (same) same.push(e);
    else this.byId.set(e.id, [e]);
    this.heldBytes += RECORD_BYTES + e.size;
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

  private unhold(e: Held): void {
    const key = keyOf(e.from, e.id);
    if (this.entries.get(key) !== e) return;
    this.uncache(e);
    this.entries.delete(key);
    const same = this.byId.get(e.id)?.filter((x) => x !== e) ?? [];
    if (same.length > 0) this.byId.set(e.id, same);
    else this.byId.delete(e.id);
    this.heldBytes -= RECORD_BYTES + e.size;
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
        this.unhold(e);
        senders.add(e.from);
      }
    }
    for (const [from, topics] of this.marks) {
      for (const [topic, m] of topics) if (m.until <= now) topics.delete(topic);
      if (topics.size === 0) this.marks.delete(from);
    }
    for (const [from, list] of this.refusals) {
      for (const [id, r] of list) {
        if (r.until > now) continue;
        this.forgetRefusal(r);
        list.delete(id);
      }
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
        const e = this.entries.get(keyOf(m.from, m.id));
        if (e) {
          e.read ||= m.read;
          return;
        }
        this.hold({ ...m, sentAt, expiresAt, body: bodyPos, durable: true });
        return;
      }
      case 'read':
        for (const e of this.recorded(record.meta)) e.read = true;
        return;
      case 'delete':
        for (const e of this.recorded(record.meta)) this.unhold(e);
        return;
      case 'refused': {
        const { from, id, ...r } = record.meta;
        const list = this.refusals.get(from) ?? new Map<string, Refusal>();
        this.refusals.set(from, list);
        // Its size is not known here: the next compaction writes it again, and counts it from then on.
        this.forgetRefusal(list.get(id));
        list.set(id, { ...r, durable: true, bytes: 0 });
        while (list.size > this.limits.refusalsPerPeer) list.delete(list.keys().next().value!);
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

  /**
   * The messages a read or delete record names: by sender and ID, or (a record of an older release,
   * which kept one message per ID) every message held with each ID.
   */
  private recorded(meta: { ids: string[]; from?: string[] }): Held[] {
    if (!meta.from) return this.allOf(meta.ids);
    const out: Held[] = [];
    meta.ids.forEach((id, i) => {
      const e = this.entries.get(keyOf(meta.from![i]!, id));
      if (e) out.push(e);
    });
    return out;
  }

  /**
   * As Outbox: rewrite when dead records outweigh the live ones (checked once per MiB written), or
   * when forgotten refusals pass REFUSALS_COMPACT_BYTES (or a quarter of what is live).
   */
  private maybeCompact(): void {
    if (this.compacting) return;
    const refusalsDead = this.deadRefusalBytes >= Math.max(REFUSALS_COMPACT_BYTES, this.heldBytes / 4);
    if (!refusalsDead && this.log.size < this.nextCompactCheck) return;
    this.nextCompactCheck = this.log.size + 1024 * 1024;
    if (!refusalsDead && this.log.size <= 2 * this.heldBytes + 1024 * 1024) return;
    this.deadRefusalBytes = 0;
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
    /** The messages written, by key: their records raise their topics' marks on replay. */
    const written = new Map<string, Held>();
    for (const e of entries) {
      if (this.entries.get(keyOf(e.from, e.id)) !== e || !e.durable) continue;
      const body = typeof e.body === 'number' ? await this.log.read(e.body, e.size) : e.body;
      const { payload, bodyAt } = encodeInboxRecord({ kind: 'message', meta: recordMeta(e), body });
      targets.push({ e, bodyAt });
      written.set(keyOf(e.from, e.id), e);
      yield payload;
    }
    // Replay takes records in any order here (marks only rise), so these may follow the messages.
    for (const [from, topics] of this.marks) {
      for (const [topic, m] of topics) {
        if (m.durableId === undefined) continue;
        // A message written above raises this mark as far: no record of its own.
        const top = written.get(keyOf(from, m.durableId));
        if (top && top.topic === topic && top.expiresAt >= m.until) continue;
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
        const { payload } = encodeInboxRecord({ kind: 'refused', meta });
        r.bytes = payload.length;
        yield payload;
      }
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

/** A read or delete record's names of `list`: IDs, and beside each its sender. */
function keysOf(list: readonly Held[]): { ids: string[]; from: string[] } {
  return { ids: list.map((e) => e.id), from: list.map((e) => e.from) };
}

function viewOf(e: Held): InboxEntry {
  const { body: _body, durable: _durable, cached: _cached, ...view } = e;
  return view;
}
