/**
 * What the inbox remembers of each sender besides the messages it holds: per topic the highest ID
 * accepted (its mark), so a resend is known for a repeat without remembering every ID, and the
 * final refusals, so a resend after a restart gets the same answer. Both are kept until the TTL of
 * what they cover passed (a resend would be refused as expired anyway), and bounded per sender.
 */
import type { MessageRefusalCode } from '../protocol/message-frames.js';

export interface Mark {
  /** Highest ID accepted in the topic (durable or not). */
  id: string;
  /** Highest ID accepted whose record is durable: what compaction may write. */
  durableId: string | undefined;
  /** Latest expiry among the messages accepted in the topic, in ms. */
  until: number;
}

export interface Refusal {
  code: MessageRefusalCode;
  reason: string;
  topic: string;
  until: number;
  durable: boolean;
  /** Bytes of its record in the log: dead once it is forgotten. */
  bytes: number;
}

/** Per sender, per topic, the mark. */
export class TopicMarks {
  readonly bySender = new Map<string, Map<string, Mark>>();

  get(from: string, topic: string): Mark | undefined {
    return this.bySender.get(from)?.get(topic);
  }

  /** How many topics of `from` have a mark. */
  topicCount(from: string): number {
    return this.bySender.get(from)?.size ?? 0;
  }

  /** `from`'s mark in `topic`, made (below every ID) when there is none. */
  markOf(from: string, topic: string): Mark {
    let topics = this.bySender.get(from);
    if (!topics) this.bySender.set(from, (topics = new Map<string, Mark>()));
    let m = topics.get(topic);
    if (!m) topics.set(topic, (m = { id: '', durableId: undefined, until: 0 }));
    return m;
  }

  /** A durable record says `id` was accepted in `topic` (marks only rise, so records come in any order). */
  raise(from: string, topic: string, id: string, until: number): void {
    const m = this.markOf(from, topic);
    if (id > m.id) m.id = id;
    if (m.durableId === undefined || id > m.durableId) m.durableId = id;
    m.until = Math.max(m.until, until);
  }

  dropExpired(now: number): void {
    for (const [from, topics] of this.bySender) {
      for (const [topic, m] of topics) if (m.until <= now) topics.delete(topic);
      if (topics.size === 0) this.bySender.delete(from);
    }
  }
}

/** Per sender, the final refusals by ID, oldest first, at most `perSender` each. */
export class FinalRefusals {
  readonly bySender = new Map<string, Map<string, Refusal>>();
  /** Bytes of refusal records written and since forgotten (evicted or expired), since the last compaction. */
  deadBytes = 0;

  constructor(private readonly perSender: number) {}

  get(from: string, id: string): Refusal | undefined {
    return this.bySender.get(from)?.get(id);
  }

  /** Remembers a refusal, forgetting the oldest of `from`'s past the bound. */
  remember(from: string, id: string, refusal: Refusal): void {
    const list = this.listOf(from);
    this.forget(list.get(id));
    list.set(id, refusal);
    while (list.size > this.perSender) {
      const oldest = list.keys().next().value!;
      this.forget(list.get(oldest));
      list.delete(oldest);
    }
  }

  /** A refusal record read back from the log. */
  replayed(from: string, id: string, refusal: Omit<Refusal, 'durable' | 'bytes'>): void {
    const list = this.listOf(from);
    // Its size is not known here: the next compaction writes it again, and counts it from then on.
    this.forget(list.get(id));
    list.set(id, { ...refusal, durable: true, bytes: 0 });
    while (list.size > this.perSender) list.delete(list.keys().next().value!);
  }

  dropExpired(now: number): void {
    for (const [from, list] of this.bySender) {
      for (const [id, r] of list) {
        if (r.until > now) continue;
        this.forget(r);
        list.delete(id);
      }
      if (list.size === 0) this.bySender.delete(from);
    }
  }

  private listOf(from: string): Map<string, Refusal> {
    const list = this.bySender.get(from) ?? new Map<string, Refusal>();
    this.bySender.set(from, list);
    return list;
  }

  /** A refusal record that is no longer live (its bytes count towards the next compaction). */
  private forget(r: Refusal | undefined): void {
    if (r) this.deadBytes += r.bytes;
  }
}
