/**
 * One side of the `members` exchange (docs/adr/0056-my-devices.md, protocol/member-records.ts): each
 * signed record a line, then the half-close; read with the exchange engine's bounded line reader
 * (services/exchange-lines.ts, ADR 0117).
 */
import type { Duplex } from 'node:stream';
import {
  decodeMemberLine,
  encodeMemberRecord,
  MAX_MEMBER_LINE_BYTES,
  MAX_MEMBER_RECORDS,
  type MemberRecord,
} from '../protocol/member-records.js';
import { readLines } from '../services/exchange-lines.js';
import type { ExchangeTimers } from '../services/peer-exchanges.js';

/** Writes `records`, one line each, unless the stream is gone. */
export function writeAll(stream: Duplex, records: readonly MemberRecord[]): void {
  if (!stream.writable || stream.destroyed) return;
  for (const r of records) stream.write(encodeMemberRecord(r));
}

/**
 * Every record on `stream` until its end: refused whole (with why) past MAX_MEMBER_RECORDS lines, a
 * line past MAX_MEMBER_LINE_BYTES, a malformed line, or `timeoutMs`.
 */
export async function readRecords(
  stream: Duplex,
  timeoutMs: number,
  timers?: ExchangeTimers,
): Promise<{ records: MemberRecord[] } | { problem: string }> {
  const records: MemberRecord[] = [];
  const bounds = {
    noun: 'record',
    maxLines: MAX_MEMBER_RECORDS,
    maxLineBytes: MAX_MEMBER_LINE_BYTES,
    timeoutMs,
  };
  const read = await readLines(
    stream,
    bounds,
    (text) => {
      const decoded = decodeMemberLine(text);
      if ('problem' in decoded) return decoded.problem;
      records.push(decoded.record);
      return undefined;
    },
    timers,
  );
  return 'problem' in read ? read : { records };
}
