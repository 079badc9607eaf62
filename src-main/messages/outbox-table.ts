/**
 * The outbox's messages in memory, and the bounds they are kept within: every entry by ID (in ID
 * order, the order queued), what waits and what is finished tallied per peer, the budget of bodies
 * kept in memory, state moves that keep the tallies, and letting finished messages go by age, count
 * and bytes. It writes nothing: the outbox (outbox.ts) records each change in its log and calls here.
 *
 * Bounds (a program that sends in a loop to a peer that is away for a week cannot fill the disk):
 * undelivered messages per peer at most 10,000 and 64 MiB — what the peer's inbox would take anyway —
 * and 256 MiB across all peers; past them `queue` fails with OUTBOX_FULL at once. Finished messages
 * are shown until their TTL has passed and a day since they finished, at most 10,000 and 64 MiB of
 * bodies per peer (the inbox's bounds for what it keeps of one sender), the oldest going first.
 */
import { ClawError } from '../core/errors.js';
import type { OutboxState, Why } from './box-records.js';
import { FINISHED, type Held } from './outbox-entry.js';

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

/**
 * Bodies of undelivered messages kept in memory, in bytes (16 MiB): a message usually goes out right
 * after it was queued, and reading each body back from the log would cost a file read per message.
 * Past this budget (a peer away with a full outbox), bodies are read from the log when sent.
 */
export const BODY_CACHE_BYTES = 16 * 1024 * 1024;

export class OutboxTable {
  /** By ID, in ID order (= the order queued). */
  private readonly byId = new Map<string, Held>();
  /** The entries, for reading: they change only through this class, which keeps the tallies. */
  readonly entries: ReadonlyMap<string, Held> = this.byId;
  /** Undelivered (queued or sent) messages and bytes per peer, and bytes across peers. */
  private readonly waiting = new Map<string, { count: number; bytes: number }>();
  private waitingBytes = 0;
  /** Finished messages and their bytes per peer (what `finishedPerPeer` and `finishedBytesPerPeer` bound). */
  private readonly finished = new Map<string, { count: number; bytes: number }>();
  private cachedBytes = 0;

  constructor(
    private readonly limits: OutboxLimits,
    private readonly now: () => number,
  ) {}

  /** Takes in a new entry (queued, or replayed from the log), counted in its state's tally. */
  add(e: Held): void {
    this.byId.set(e.id, e);
    this.tally(e, 1);
  }

  /** How many of `peer`'s messages are still to deliver (queued or sent): O(1). */
  waitingCount(peer: string): number {
    return this.waiting.get(peer)?.count ?? 0;
  }

  /**
   * Keeps the body of `e`, just durable, in memory while the budget allows and `e` is not finished
   * (BODY_CACHE_BYTES).
   */
  cache(e: Held, body: Uint8Array): void {
    if (this.cachedBytes + e.size <= BODY_CACHE_BYTES && !FINISHED.has(e.state)) {
      e.cached = body;
      this.cachedBytes += e.size;
    }
  }

  /**
   * Why one more message of `size` bytes to `peer` does not fit the bounds on top of what waits now
   * (OUTBOX_FULL), or undefined when it fits. `left`: the messages of its batch from it on, named when
   * more than one.
   */
  roomProblem(peer: string, size: number, left: number): ClawError | undefined {
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
  setState(e: Held, state: OutboxState, at: number, why: Why | undefined): void {
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

  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.uncache(e);
    this.tally(e, -1);
    this.byId.delete(id);
  }

  /**
   * Past `peer`'s bounds of finished messages, lets its oldest go until a tenth is free again (so
   * the next receipts do not each look over the outbox).
   */
  trimFinished(peer: string): void {
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
  sweep(): void {
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
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
