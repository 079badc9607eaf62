/**
 * The inbox's log read back and written anew: each record replayed into the table and the senders'
 * marks and refusals at open, and the log rewritten with what is live once dead records outweigh it
 * (when is the inbox's to judge, inbox.ts `maybeCompact`).
 */
import { uuidV7Time } from '../core/uuid-v7.js';
import { encodeInboxRecord, type InboxRecord } from './box-records.js';
import { keyOf, recordMeta, type Held } from './inbox-entry.js';
import type { FinalRefusals, TopicMarks } from './inbox-senders.js';
import type { InboxTable } from './inbox-table.js';
import type { RecordLog } from './record-log.js';

/** What the inbox keeps that its log holds. */
export interface InboxParts {
  table: InboxTable;
  marks: TopicMarks;
  refusals: FinalRefusals;
}

/** Applies one record read back from the log at open: a message, a read, a delete, a refusal or a mark. */
export function replayInboxRecord(parts: InboxParts, record: InboxRecord, bodyPos: number): void {
  const { table, marks, refusals } = parts;
  switch (record.kind) {
    case 'message': {
      const m = record.meta;
      const sentAt = uuidV7Time(m.id);
      const expiresAt = sentAt + m.ttlMs;
      marks.raise(m.from, m.topic, m.id, expiresAt);
      const e = table.get(m.from, m.id);
      if (e) {
        e.read ||= m.read;
        return;
      }
      table.hold({ ...m, sentAt, expiresAt, body: bodyPos, durable: true });
      return;
    }
    case 'read':
      for (const e of recorded(table, record.meta)) e.read = true;
      return;
    case 'delete':
      for (const e of recorded(table, record.meta)) table.unhold(e);
      return;
    case 'refused': {
      const { from, id, ...r } = record.meta;
      refusals.replayed(from, id, r);
      return;
    }
    case 'mark':
      marks.raise(record.meta.from, record.meta.topic, record.meta.id, record.meta.until);
  }
}

/**
 * The messages a read or delete record names: by sender and ID, or (a record of an older release,
 * which kept one message per ID) every message held with each ID.
 */
function recorded(table: InboxTable, meta: { ids: string[]; from?: string[] }): Held[] {
  if (!meta.from) return table.allOf(meta.ids);
  const out: Held[] = [];
  meta.ids.forEach((id, i) => {
    const e = table.get(meta.from![i]!, id);
    if (e) out.push(e);
  });
  return out;
}

/**
 * Rewrites the log with what is durable now: each message with its body, the marks its messages do
 * not raise as far, the refusals; once rewritten, each message's body is where the new log holds it.
 */
export async function compactInboxLog(log: RecordLog, parts: InboxParts): Promise<void> {
  /** Per record written, the message whose body it carries (undefined for marks and refusals). */
  const targets: ({ e: Held; bodyAt: number } | undefined)[] = [];
  await log.rewrite(liveRecords(log, parts, targets), (offsets) => {
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
async function* liveRecords(
  log: RecordLog,
  { table, marks, refusals }: InboxParts,
  targets: ({ e: Held; bodyAt: number } | undefined)[],
): AsyncGenerator<Uint8Array> {
  const entries = [...table.entries.values()];
  const read = log.inOrder();
  /** The messages written, by key: their records raise their topics' marks on replay. */
  const written = new Map<string, Held>();
  for (const e of entries) {
    if (!table.holds(e) || !e.durable) continue;
    const body = typeof e.body === 'number' ? await read(e.body, e.size) : e.body;
    const { payload, bodyAt } = encodeInboxRecord({ kind: 'message', meta: recordMeta(e), body });
    targets.push({ e, bodyAt });
    written.set(keyOf(e.from, e.id), e);
    yield payload;
  }
  // Replay takes records in any order here (marks only rise), so these may follow the messages.
  for (const [from, topics] of marks.bySender) {
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
  for (const [from, list] of refusals.bySender) {
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
