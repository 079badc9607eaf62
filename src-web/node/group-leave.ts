/**
 * A browser member leaves a group (ADR 0094 §Groups): as the member's root it signs its own
 * `member-remove` — the one record a member may sign that counts on the group's devices
 * (groups/group-view.ts) — with the next seq for that entry, as an agent's `group leave` does
 * (groups/group-decisions.ts), and gives it to a group's device on the `groups` exchange; the device
 * applies it, hangs up on the browser and passes it on to the owner's devices.
 */
import { groupEntryKey, MAX_GROUP_SEQ, type GroupRecord } from '../../src-main/protocol/group-records.js';
import { utf8 } from './bytes.js';
import { GROUP_RECORD_CONTEXT, groupRecordBytes } from '../../src-main/protocol/group-records.js';
import type { BrowserIdentity } from './identity.js';
import { signIdentity } from './primitives.js';
import type { StoredGroup } from './store.js';

const base64 = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes));

/** This browser's `member-remove` of itself from `group`, after every record kept about that entry. */
export async function signedLeave(identity: BrowserIdentity, group: StoredGroup): Promise<GroupRecord> {
  const entry = { group: group.id, kind: 'member-remove' as const, subject: identity.fingerprint };
  const key = groupEntryKey(entry);
  let top = 0;
  for (const r of group.records) if (r.seq > top && groupEntryKey(r) === key) top = r.seq;
  const unsigned = {
    v: 1 as const,
    ...entry,
    seq: Math.min(top + 1, MAX_GROUP_SEQ),
    by: identity.fingerprint,
    byCert: base64(identity.certDer),
    at: new Date().toISOString(),
    sig: '',
  };
  const sig = await signIdentity(identity.privateKey, GROUP_RECORD_CONTEXT, groupRecordBytes(unsigned));
  return { ...unsigned, sig: base64(sig) };
}

/** The lines a side of the exchange sends for `records` (groups/group-lines.ts writeExchange). */
export function recordLines(records: readonly GroupRecord[]): Uint8Array {
  return utf8(records.map((record) => `${JSON.stringify({ record })}\n`).join(''));
}
