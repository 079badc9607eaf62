/**
 * The inbox's messages in memory, and the bounds they are kept within: every message by sender and
 * ID (in the order they arrived) and by ID alone (a program names messages by ID), what each sender
 * holds here, the live size compaction weighs, and the bodies kept in memory. It writes nothing: the
 * inbox (inbox.ts) records each change in its log and calls here.
 */
import { InboxBodyCache } from './inbox-body-cache.js';
import { keyOf, RECORD_BYTES, type Held } from './inbox-entry.js';

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

export class InboxTable {
  /** By keyOf(from, id), in the order they arrived. */
  readonly entries = new Map<string, Held>();
  /** The messages held under each ID (one, unless two senders chose the same ID). */
  private readonly byId = new Map<string, Held[]>();
  /** Per sender: messages and bytes held (durable or not). */
  private readonly usage = new Map<string, { count: number; bytes: number }>();
  /** RECORD_BYTES plus the body of every message held: the live size compaction weighs. */
  private held = 0;
  readonly cache = new InboxBodyCache();

  constructor(private readonly limits: InboxLimits) {}

  get heldBytes(): number {
    return this.held;
  }

  /** The message `from` sent with `id`. */
  get(from: string, id: string): Held | undefined {
    return this.entries.get(keyOf(from, id));
  }

  /** Whether `e` is still the message held under its key (not deleted, evicted or replaced meanwhile). */
  holds(e: Held): boolean {
    return this.entries.get(keyOf(e.from, e.id)) === e;
  }

  /** The message `from` sent with `id`, or without `from` the first held with that ID. */
  find(id: string, from?: string): Held | undefined {
    return from !== undefined ? this.get(from, id) : this.byId.get(id)?.[0];
  }

  /** Every message held under one of `ids` (each once). */
  allOf(ids: readonly string[]): Held[] {
    const out = new Set<Held>();
    for (const id of ids) for (const e of this.byId.get(id) ?? []) out.add(e);
    return [...out];
  }

  hold(e: Held): void {
    const key = keyOf(e.from, e.id);
    const before = this.entries.get(key);
    if (before) this.unhold(before);
    this.entries.set(key, e);
    const same = this.byId.get(e.id);
    if (same) same.push(e);
    else this.byId.set(e.id, [e]);
    this.held += RECORD_BYTES + e.size;
    const u = this.usage.get(e.from) ?? { count: 0, bytes: 0 };
    u.count++;
    u.bytes += e.size;
    this.usage.set(e.from, u);
  }

  unhold(e: Held): void {
    const key = keyOf(e.from, e.id);
    if (this.entries.get(key) !== e) return;
    this.cache.drop(e);
    this.entries.delete(key);
    const same = this.byId.get(e.id)?.filter((x) => x !== e) ?? [];
    if (same.length > 0) this.byId.set(e.id, same);
    else this.byId.delete(e.id);
    this.held -= RECORD_BYTES + e.size;
    const u = this.usage.get(e.from);
    if (!u) return;
    u.count--;
    u.bytes -= e.size;
    if (u.count === 0) this.usage.delete(e.from);
  }

  /** Whether one more message of `size` bytes from `from` fits its sender's bounds. */
  fits(from: string, size: number): boolean {
    const u = this.usage.get(from) ?? { count: 0, bytes: 0 };
    return u.count + 1 <= this.limits.messagesPerPeer && u.bytes + size <= this.limits.bytesPerPeer;
  }

  /**
   * Lets `from`'s read, durable messages go (oldest first) until `size` more bytes fit or none is
   * left to let go; returns those let go (for the caller to record).
   */
  evictReadFor(from: string, size: number): Held[] {
    const evicted: Held[] = [];
    if (this.fits(from, size)) return evicted;
    for (const e of this.entries.values()) {
      if (e.from !== from || !e.read || !e.durable) continue;
      this.unhold(e);
      evicted.push(e);
      if (this.fits(from, size)) break;
    }
    return evicted;
  }

  /** Lets go of durable messages whose TTL passed at `now`; returns the senders whose messages left. */
  dropExpired(now: number): Set<string> {
    const senders = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.durable && e.expiresAt <= now) {
        this.unhold(e);
        senders.add(e.from);
      }
    }
    return senders;
  }
}
