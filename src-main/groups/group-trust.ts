/**
 * Who may sign a group's records, decided from the records themselves (docs/adr/0089-groups.md): on a
 * member's device the owner devices other than the inviter are trusted because a trusted owner device
 * named them (`owner` records), and a member's devices other than its root because the root or another
 * of its devices named them (`member-device` records); a removal by a trusted signer that beats the
 * naming takes the trust away, and a removed signer's own records stop counting.
 *
 * Trust feeds on itself (a removed signer's removals no longer count, which may give back what they
 * took), so "the signers the records trust" can have no answer or several. The answer taken is the
 * well-founded one: a signer is trusted only when a chain of namings from the anchors (the inviter,
 * the member's root) reaches it that no removal by a possibly trusted signer beats. It is computed as
 * an alternating fixed point — `reach(N)` is the set reached from the anchors when only removals signed
 * by N count, more removals reach less; trusted is the least T with T = reach(reach(T)) — so:
 * - the result depends only on the set of records (not their order, not repeats);
 * - a loop of devices naming each other, none named from the anchors, is trusted by nobody;
 * - two trusted signers that remove each other both lose it (the safe answer when the records
 *   disagree); the anchors never do (they are this node's own decision, not a record's).
 * The candidates are bounded before this runs (groups/group-plan.ts), so its cost is too.
 */
import { compareGroupRecords, isGroupRemoval, type GroupRecord } from '../protocol/group-records.js';

/** The records about one list (a group's owners, or one member's devices), by subject. */
export type RecordsBySubject = ReadonlyMap<string, readonly GroupRecord[]>;

/** `records` by subject. */
export function bySubject(records: Iterable<GroupRecord>): Map<string, GroupRecord[]> {
  const out = new Map<string, GroupRecord[]>();
  for (const r of records) {
    const list = out.get(r.subject);
    if (list) list.push(r);
    else out.set(r.subject, [r]);
  }
  return out;
}

/**
 * The subjects reached from `anchors` through additions signed by a reached signer (not the subject
 * itself) that no removal signed by one of `removers` beats. Anchors are always reached.
 */
function reach(
  anchors: ReadonlySet<string>,
  records: RecordsBySubject,
  removers: ReadonlySet<string> | undefined,
): Set<string> {
  const reached = new Set(anchors);
  for (let grew = true; grew;) {
    grew = false;
    for (const [subject, list] of records) {
      if (reached.has(subject)) continue;
      const named = list.some(
        (add) =>
          !isGroupRemoval(add.kind) &&
          add.by !== subject &&
          reached.has(add.by) &&
          !list.some(
            (rm) =>
              isGroupRemoval(rm.kind) && removers?.has(rm.by) === true && compareGroupRecords(rm, add) > 0,
          ),
      );
      if (named) {
        reached.add(subject);
        grew = true;
      }
    }
  }
  return reached;
}

/**
 * Every subject a chain of additions from `anchors` reaches when no removal counts: the most that can
 * ever be trusted, and what the bounds are checked on before the fixed point runs.
 */
export function reachable(anchors: ReadonlySet<string>, records: RecordsBySubject): Set<string> {
  return reach(anchors, records, undefined);
}

/** The trusted signers of one list: the well-founded answer described above. */
export function trustedSigners(anchors: ReadonlySet<string>, records: RecordsBySubject): Set<string> {
  // Only records signed by a signer that can ever be trusted can matter.
  const most = reachable(anchors, records);
  const relevant = new Map<string, GroupRecord[]>();
  for (const [subject, list] of records) {
    const kept = list.filter((r) => most.has(r.by));
    if (kept.length > 0) relevant.set(subject, kept);
  }
  let trusted = new Set(anchors);
  // Each round trusts at least one more signer or ends: at most one round per candidate.
  for (let round = 0; round <= most.size; round++) {
    const next = reach(anchors, relevant, reach(anchors, relevant, trusted));
    if (next.size === trusted.size) break;
    trusted = next;
  }
  return trusted;
}

/**
 * The record that decides one entry: the greatest (compareGroupRecords) of `list` whose signer
 * `counts`, or undefined when none does.
 */
export function winner(
  list: readonly GroupRecord[],
  counts: (r: GroupRecord) => boolean,
): GroupRecord | undefined {
  let best: GroupRecord | undefined;
  for (const r of list) if (counts(r) && (!best || compareGroupRecords(r, best) > 0)) best = r;
  return best;
}
