/**
 * A decision about a group, signed by this node (docs/adr/0089-groups.md): the record with the next seq
 * for its entry, so that it wins over every record kept here about that entry — or, at the top seq, ties
 * with it, where a removal still wins (as membership.ts nextSeq explains for "my devices").
 */
import type { Identity } from '../crypto/identity.js';
import { signGroupRecord } from '../crypto/group-signature.js';
import { isoTime } from '../core/iso-time.js';
import {
  groupEntryKey,
  GROUPS_PROTOCOL_VERSION,
  MAX_GROUP_SEQ,
  type GroupRecord,
  type UnsignedGroupRecord,
} from '../protocol/group-records.js';

type Distribute<T> = T extends unknown ? Omit<T, 'v' | 'seq' | 'by' | 'byCert' | 'at'> : never;
/** What a decision says: its kind, group, subject and payload; the rest is filled in when it is signed. */
export type GroupDecision = Distribute<UnsignedGroupRecord>;

/** One more than the highest seq kept about `decision`'s entry, by any signer, and never past the top. */
export function nextGroupSeq(kept: readonly GroupRecord[], decision: GroupDecision): number {
  const key = groupEntryKey(decision);
  let top = 0;
  for (const r of kept) if (r.seq > top && groupEntryKey(r) === key) top = r.seq;
  return Math.min(top + 1, MAX_GROUP_SEQ);
}

/** `decision` as a record signed by `identity`, after every record in `kept` about the same entry. */
export function signGroupDecision(
  identity: Pick<Identity, 'keyPem' | 'certDer' | 'fingerprint'>,
  kept: readonly GroupRecord[],
  decision: GroupDecision,
  now = new Date(),
): GroupRecord {
  return signGroupRecord(identity, {
    ...decision,
    v: GROUPS_PROTOCOL_VERSION,
    seq: nextGroupSeq(kept, decision),
    by: identity.fingerprint,
    byCert: Buffer.from(identity.certDer).toString('base64'),
    at: isoTime(now.getTime()),
  });
}
