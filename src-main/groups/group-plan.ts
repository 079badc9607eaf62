/**
 * One exchange of group records, decided whole or not at all (docs/adr/0089-groups.md), as the
 * membership exchange is (state/membership.ts): a pure function of the records kept here, the records
 * received and this node's anchors. The caller saves the plan's records in one write, or nothing.
 *
 * Refused whole, with the reason: too many records; a malformed record; a record that makes this node
 * what it cannot be (a member of a group its person owns, a device or owner of a group it joined); a
 * group or list past the bounds checked before the view; a signature that does not hold (forged or
 * altered); a group, list or member past its bound; more new entries in groups already known here than
 * one exchange may bring. The checks that cost no signature come first, so an exchange they refuse
 * costs none (docs/adr/0097-group-exchange-work-per-member.md). Otherwise the plan keeps, per entry
 * and signer, the greatest record whose signer counts (groups/group-view.ts): records signed by nobody who
 * counts here — a member's attempt to add a device, a member, an owner or more words, a stranger's
 * group — are not kept, and an old record loses to the newer removal kept here.
 */
import { groupSignatureProblem } from '../crypto/group-signature.js';
import {
  groupRecord,
  groupSlot,
  MAX_GROUP_RECORDS_PER_EXCHANGE,
  type GroupRecord,
} from '../protocol/group-records.js';
import { bySubject, reachable } from './group-trust.js';
import {
  bestPerSigner,
  groupsView,
  settleGroups,
  type GroupAnchors,
  type GroupsView,
  type GroupView,
} from './group-view.js';

/** The bounds an exchange and the kept records are checked against. */
export interface GroupBounds {
  /** Records one exchange carries. */
  readonly recordsPerExchange: number;
  /** Records kept for one group. */
  readonly recordsPerGroup: number;
  /** Live (not deleted) groups a node owns or belongs to. */
  readonly groups: number;
  /** Deleted groups a node remembers (their `delete` records beat replays of the group). */
  readonly deletedGroups: number;
  readonly devicesPerGroup: number;
  readonly membersPerGroup: number;
  /** A member's devices, its root included. */
  readonly devicesPerMember: number;
  /** Owner devices whose records count in one group. */
  readonly ownersPerGroup: number;
  /** Devices ever named as owners (or as one member's devices): what the trust fixed point runs over. */
  readonly candidatesPerList: number;
  /** New entries one exchange may bring to groups already known here. */
  readonly newEntriesPerExchange: number;
}

export const GROUP_BOUNDS: GroupBounds = {
  recordsPerExchange: MAX_GROUP_RECORDS_PER_EXCHANGE,
  // A group at every bound below has about 625 entries; some are decided by more than one owner device.
  recordsPerGroup: 1024,
  // A person's teams: each costs its records here and an exchange with every device in it.
  groups: 32,
  // One record each (about 1 KiB): room for years of groups created and deleted.
  deletedGroups: 256,
  // A lab of build machines; more is an organisation, and its records outgrow one exchange.
  devicesPerGroup: 64,
  // Members are people: each costs an exchange with every device of theirs on every group device.
  membersPerGroup: 32,
  // As many as one "my devices" exchange may introduce at once (MAX_NEW_DEVICES_PER_EXCHANGE).
  devicesPerMember: 16,
  // A person's own devices that act for the owner: as many as a member's.
  ownersPerGroup: 16,
  // Removed owner devices stay named in records; the fixed point costs the cube of this in the worst case.
  candidatesPerList: 64,
  // A decision adds one entry and devices exchange after each; a new group is bounded by its own bounds.
  newEntriesPerExchange: 64,
};

/** What an exchange changes: the records to keep (saved in one write) and the view they give. */
export interface GroupPlan {
  records: GroupRecord[];
  view: GroupsView;
  /** True when the kept records differ from before. */
  changed: boolean;
}

export type GroupExchangeResult = { refused: string } | { plan: GroupPlan };

const short = (fp: string) => fp.slice(0, 8);
/** A record as a refusal names it: its kind, subject, group and signer, short. */
export const aboutGroupRecord = (r: GroupRecord) =>
  `the ${r.kind} record of ${short(r.subject)} in ${short(r.group)} by ${short(r.by)}`;

/** Why a record's signature does not hold, or undefined when it does. */
export type SignatureProblem = (r: GroupRecord) => string | undefined;

/**
 * What `incoming` (one exchange) does to `current` (the records kept here) on a node with `anchors`.
 * `signatureProblem` checks each received record once, after every check that needs none.
 * Pure (but for what `signatureProblem` keeps); never throws.
 */
export function planGroupExchange(
  current: readonly GroupRecord[],
  incoming: readonly unknown[],
  anchors: GroupAnchors,
  bounds: GroupBounds = GROUP_BOUNDS,
  signatureProblem: SignatureProblem = groupSignatureProblem,
): GroupExchangeResult {
  const screened = screenGroupRecords(incoming, bounds);
  if ('refused' in screened) return screened;
  return planScreened(current, screened.records, anchors, bounds, signatureProblem);
}

/** `incoming` as records, or why the exchange is refused: its count and each record's shape. No signature. */
export function screenGroupRecords(
  incoming: readonly unknown[],
  bounds: GroupBounds = GROUP_BOUNDS,
): { refused: string } | { records: GroupRecord[] } {
  if (incoming.length > bounds.recordsPerExchange)
    return { refused: `${incoming.length} records, at most ${bounds.recordsPerExchange} at once` };
  const records: GroupRecord[] = [];
  for (const [i, raw] of incoming.entries()) {
    const problem = screenGroupRecord(raw, i);
    if (typeof problem === 'string') return { refused: problem };
    records.push(problem);
  }
  return { records };
}

/** `raw`, the exchange's record `i` (from 0), as a record, or why it is malformed. */
export function screenGroupRecord(raw: unknown, i: number): GroupRecord | string {
  const parsed = groupRecord().safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `record ${i + 1} is malformed (${issue?.path.join('.') || 'record'}: ${issue?.message ?? '?'})`;
}

/**
 * Why `received` cannot be kept here whatever its signatures say, or undefined: a record that makes
 * this node what it cannot be, or a group or list past the bounds checked before the view.
 */
export function unsignedProblem(
  current: readonly GroupRecord[],
  received: readonly GroupRecord[],
  anchors: GroupAnchors,
  bounds: GroupBounds = GROUP_BOUNDS,
): string | undefined {
  for (const r of received) {
    const nonsense = selfProblem(r, anchors);
    if (nonsense) return `${aboutGroupRecord(r)}: ${nonsense}`;
  }
  return boundsBeforeProblem(bestPerSigner([...current, ...received]), anchors, bounds);
}

/** planGroupExchange for records already screened (screenGroupRecords). */
export function planScreened(
  current: readonly GroupRecord[],
  received: readonly GroupRecord[],
  anchors: GroupAnchors,
  bounds: GroupBounds,
  signatureProblem: SignatureProblem,
): GroupExchangeResult {
  const cheap = unsignedProblem(current, received, anchors, bounds);
  if (cheap) return { refused: cheap };
  for (const r of received) {
    const problem = signatureProblem(r);
    if (problem) return { refused: `${aboutGroupRecord(r)}: ${problem}` };
  }
  const merged = bestPerSigner([...current, ...received]);
  const before = groupsView(current, anchors);
  const { view, counting } = settleGroups(merged, anchors);
  const past = boundsAfterProblem(view, counting, bounds) ?? floodProblem(before, view, bounds);
  if (past) return { refused: past };
  const sigs = (list: readonly GroupRecord[]) => new Set(list.map((r) => r.sig));
  const had = sigs(current);
  const changed = counting.length !== had.size || counting.some((r) => !had.has(r.sig));
  return { plan: { records: counting, view, changed } };
}

/** Why `r` cannot be true of this node, or undefined. */
function selfProblem(r: GroupRecord, anchors: GroupAnchors): string | undefined {
  const self = anchors.self;
  if (anchors.joined.has(r.group)) {
    if ((r.kind === 'device' || r.kind === 'owner') && r.subject === self)
      return `it makes this node, a member's device, the group's ${r.kind}`;
    return undefined;
  }
  if (r.kind === 'member' && r.subject === self)
    return "it makes this node a member of its own person's group";
  if (r.kind === 'member-device' && (r.subject === self || r.member === self))
    return "it makes this node a member's device in its own person's group";
  return undefined;
}

/** The bounds checked before the view is worked out, so that working it out costs a bounded time. */
function boundsBeforeProblem(merged: readonly GroupRecord[], anchors: GroupAnchors, bounds: GroupBounds) {
  const byGroup = new Map<string, GroupRecord[]>();
  for (const r of merged) {
    const list = byGroup.get(r.group);
    if (list) list.push(r);
    else byGroup.set(r.group, [r]);
  }
  for (const [id, records] of byGroup) {
    if (records.length > bounds.recordsPerGroup)
      return `it would keep ${records.length} records of group ${short(id)}, at most ${bounds.recordsPerGroup}`;
    const inviters = anchors.joined.get(id);
    const owners = records.filter((r) => groupSlot(r.kind) === 'owner');
    if (inviters && reachable(inviters, bySubject(owners)).size > bounds.candidatesPerList)
      return `group ${short(id)} names more than ${bounds.candidatesPerList} owner devices`;
    const roots = new Set(records.filter((r) => r.kind === 'member').map((r) => r.subject));
    for (const root of roots) {
      const own = records.filter((r) => 'member' in r && r.member === root);
      if (reachable(new Set([root]), bySubject(own)).size > bounds.candidatesPerList)
        return `a member of group ${short(id)} names more than ${bounds.candidatesPerList} devices`;
    }
  }
  return undefined;
}

/** The bounds checked on what the records would make of the groups. */
function boundsAfterProblem(view: GroupsView, counting: readonly GroupRecord[], bounds: GroupBounds) {
  const live = view.groups.filter((g) => !g.deleted);
  if (live.length > bounds.groups)
    return `it would make ${live.length} groups here, at most ${bounds.groups}`;
  const deleted = view.groups.length - live.length;
  if (deleted > bounds.deletedGroups)
    return `it would make ${deleted} deleted groups to remember, at most ${bounds.deletedGroups}`;
  const kept = new Map<string, number>();
  for (const r of counting) kept.set(r.group, (kept.get(r.group) ?? 0) + 1);
  for (const g of live) {
    const over = (what: string, n: number, max: number) =>
      n > max ? `group ${g.name} would have ${n} ${what}, at most ${max}` : undefined;
    const problem =
      over('records', kept.get(g.id) ?? 0, bounds.recordsPerGroup) ??
      over('devices', g.devices.length, bounds.devicesPerGroup) ??
      over('members', g.members.length, bounds.membersPerGroup) ??
      over('owner devices', g.owners.length, bounds.ownersPerGroup) ??
      g.members
        .map((m) => over(`devices of member ${m.name}`, m.devices.length, bounds.devicesPerMember))
        .find((p) => p !== undefined);
    if (problem) return problem;
  }
  return undefined;
}

/** The entries of a group as the view shows them. */
function entries(g: GroupView): Set<string> {
  return new Set([
    ...g.devices.map((d) => `device ${d.fingerprint}`),
    ...g.owners.map((d) => `owner ${d.fingerprint}`),
    ...g.members.flatMap((m) => m.devices.map((d) => `member ${m.root} ${d.fingerprint}`)),
  ]);
}

/** Why the exchange adds too much at once to groups already known here, or undefined. */
function floodProblem(before: GroupsView, after: GroupsView, bounds: GroupBounds) {
  const known = new Map(before.groups.map((g) => [g.id, entries(g)]));
  let added = 0;
  for (const g of after.groups) {
    const had = known.get(g.id);
    if (!had) continue;
    for (const e of entries(g)) if (!had.has(e)) added++;
  }
  return added > bounds.newEntriesPerExchange
    ? `it would add ${added} entries to known groups at once, at most ${bounds.newEntriesPerExchange}`
    : undefined;
}
