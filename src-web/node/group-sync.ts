/**
 * A browser member brings its groups up to date (ADR 0094 §Groups): it opens the `groups` exchange
 * (groups/group-lines.ts, docs/protocol.md §Groups) on a device of the group, sends nothing (it keeps
 * no other device's records; only its leave, group-leave.ts) and half-closes; the device answers with what a
 * member's device may get — the group's settings, devices and owners, and this member's own records.
 * Every record is checked (group-records.ts) and the answer is taken whole or not at all, as an agent
 * takes one; what counts is then decided by the agent's own view (group-join.ts viewOf).
 *
 * A removed member is let in for this exchange alone to get the record that removed it (ADR 0092,
 * "Amended"): the group then no longer counts it as a member, the window stops listing the group, and
 * this browser dials its devices no more. (A device cannot learn that a browser got the news, as a
 * browser answers no exchange, so it goes on letting it in for the news until its bound is reached.)
 */
import { bestPerSigner } from '../../src-main/groups/group-view.js';
import { MAX_GROUP_RECORDS_PER_EXCHANGE, type GroupRecord } from '../../src-main/protocol/group-records.js';
import { BrowserNodeError, fromUtf8 } from './bytes.js';
import { recordLines } from './group-leave.js';
import { checkedGroupRecord } from './group-records.js';
import type { MuxStream } from './mux.js';
import type { StoredGroup } from './store.js';

/** The exchange's service and arguments (groups/group-lines.ts GROUPS_SERVICE, GROUPS_OPEN_ARGS). */
export const GROUPS_SERVICE = 'groups';
const GROUPS_OPEN_ARGS = { v: 1 };
/** Longest line (protocol/group-records.ts MAX_GROUP_LINE_BYTES), and most lines read from one answer. */
const MAX_LINE_BYTES = 4096;
const MAX_LINES = 2 * MAX_GROUP_RECORDS_PER_EXCHANGE;
/** How long the device has for its whole answer, in ms (group-exchange-service.ts EXCHANGE_TIMEOUT_MS). */
export const SYNC_TIMEOUT_MS = 5_000;

const refused = (why: string) => new BrowserNodeError('BAD_RECORD', `the group's device sent ${why}`);

/** Every line of `stream` until its end, bounded in count, size and time. */
function readLines(stream: MuxStream, timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let partial = new Uint8Array(0);
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        stream.reset(err.message);
        reject(err);
      } else resolve(lines);
    };
    const timer = setTimeout(() => settle(new BrowserNodeError('TIMEOUT', 'no answer in time')), timeoutMs);
    stream.onData((bytes) => {
      if (settled) return;
      const all = new Uint8Array(partial.length + bytes.length);
      all.set(partial);
      all.set(bytes, partial.length);
      let start = 0;
      for (let nl = all.indexOf(0x0a); nl !== -1; nl = all.indexOf(0x0a, start)) {
        if (nl - start > MAX_LINE_BYTES) return settle(refused('a line too long'));
        lines.push(fromUtf8(all.subarray(start, nl)));
        if (lines.length > MAX_LINES) return settle(refused('too many lines'));
        start = nl + 1;
      }
      partial = all.slice(start);
      if (partial.length > MAX_LINE_BYTES) settle(refused('a line too long'));
    });
    stream.onEnd((error) => {
      if (error) return settle(error);
      settle(partial.length > 0 ? refused('a last line with no newline') : undefined);
    });
  });
}

/**
 * The records a group's device answers the exchange with (after `send`, this member's own records:
 * its leave), each checked; hint and joined lines are
 * skipped (a browser dials through its relay; joined lines count only between one person's devices).
 * @throws BrowserNodeError for a refused stream, a bound passed, or one bad record (the whole answer)
 */
export async function pullGroupRecords(
  open: (service: string, args: unknown) => Promise<MuxStream>,
  send: readonly GroupRecord[] = [],
): Promise<GroupRecord[]> {
  const stream = await open(GROUPS_SERVICE, GROUPS_OPEN_ARGS);
  if (send.length > 0) stream.write(recordLines(send));
  stream.end();
  const out: GroupRecord[] = [];
  for (const line of await readLines(stream, SYNC_TIMEOUT_MS)) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw refused('a line that is not JSON');
    }
    if (typeof v !== 'object' || v === null || !('record' in v)) continue;
    out.push(await checkedGroupRecord(v.record));
  }
  return out;
}

/** `group` with `records` of it added: per entry and signer the greatest one, bounded as an invitation. */
export function mergeGroupRecords(group: StoredGroup, records: readonly GroupRecord[]): StoredGroup {
  const merged = bestPerSigner([...group.records, ...records.filter((r) => r.group === group.id)]);
  if (merged.length > MAX_GROUP_RECORDS_PER_EXCHANGE)
    throw refused(`more than ${MAX_GROUP_RECORDS_PER_EXCHANGE} records of one group`);
  return { ...group, records: merged };
}
