/**
 * The outbox's log read back and written anew: each record replayed into the table at open, and the
 * log rewritten with what is live once dead records (finished bodies, old states, deleted entries)
 * outweigh it (when is the outbox's to judge, outbox.ts `maybeCompact`).
 */
import { uuidV7Time, type UuidV7Generator } from '../core/uuid-v7.js';
import { encodeOutboxRecord, stateRank, type OutboxRecord } from './box-records.js';
import { metaOf, type Held } from './outbox-entry.js';
import type { EarlySendFloor } from './outbox-floor.js';
import type { OutboxTable } from './outbox-table.js';
import type { RecordLog } from './record-log.js';

/**
 * Applies one record read back from the log at open to the table (and the IDs and floor it vouches
 * for): an entry, a state, a delete or a floor.
 */
export function replayOutboxRecord(
  table: OutboxTable,
  ids: UuidV7Generator,
  floor: EarlySendFloor,
  record: OutboxRecord,
  bodyPos: number | undefined,
): void {
  switch (record.kind) {
    case 'entry': {
      const m = record.meta;
      ids.observe(m.id);
      const e = table.entries.get(m.id);
      if (e) {
        if (stateRank(m.state) > stateRank(e.state)) table.setState(e, m.state, m.at, m.why);
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
      table.add(held);
      return;
    }
    case 'state':
      for (const id of record.meta.ids) {
        const e = table.entries.get(id);
        if (!e || stateRank(record.meta.state) <= stateRank(e.state)) continue;
        table.setState(e, record.meta.state, record.meta.at, record.meta.why);
      }
      return;
    case 'delete':
      for (const id of record.meta.ids) table.remove(id);
      return;
    case 'floor':
      ids.observe(record.meta.id);
      floor.replayed(record.meta.id);
  }
}

/**
 * Rewrites the log with what is live: a floor record, then each durable entry with its body while it
 * is kept; once rewritten, each entry's body is where the new log holds it.
 */
export async function compactOutboxLog(
  log: RecordLog,
  table: OutboxTable,
  ids: UuidV7Generator,
  floor: EarlySendFloor,
): Promise<void> {
  table.sweep();
  /** Per record written, the entry whose body it carries (undefined when it carries none). */
  const targets: ({ e: Held; bodyAt: number } | undefined)[] = [];
  await log.rewrite(liveRecords(log, table, ids, floor, targets), (offsets) => {
    targets.forEach((t, i) => {
      if (t) t.e.body = offsets[i]! + t.bodyAt;
    });
  });
}

/** The records of what is durable now, read lazily while the log is paused (record-log.ts). */
async function* liveRecords(
  log: RecordLog,
  table: OutboxTable,
  ids: UuidV7Generator,
  earlySend: EarlySendFloor,
  targets: ({ e: Held; bodyAt: number } | undefined)[],
): AsyncGenerator<Uint8Array> {
  const entries = [...table.entries.values()];
  const read = log.inOrder();
  // An ID no later message can repeat, even once every entry is gone.
  targets.push(undefined);
  // The lease of early sends too (ADR 0066): an ID sent before its record was durable stays covered.
  const next = ids.next();
  const floor = next > earlySend.durable ? next : earlySend.durable;
  yield encodeOutboxRecord({ kind: 'floor', meta: { id: floor } }).payload;
  for (const e of entries) {
    // Not yet durable: its own record follows in the new file.
    if (table.entries.get(e.id) !== e || !e.durable) continue;
    const body =
      e.body === undefined ? undefined : typeof e.body === 'number' ? await read(e.body, e.size) : e.body;
    const { payload, bodyAt } = encodeOutboxRecord({
      kind: 'entry',
      meta: metaOf(e),
      ...(body ? { body } : {}),
    });
    targets.push(body ? { e, bodyAt } : undefined);
    yield payload;
  }
}
