/**
 * What a node believes about its groups (docs/adr/0089-groups.md): a pure function of the group
 * records it keeps and of its anchors — the decisions made on this node, not in a record: which
 * devices are its person's (they sign for the owner in the groups that person owns) and, for each
 * group its person joined, the owner device the invitation's PAKE confirmed.
 *
 * The rules:
 * - per entry (protocol/group-records.ts groupEntryKey) the greatest record whose signer counts wins
 *   (compareGroupRecords: higher seq, then the removal, then the signer);
 * - in a group this node's person owns, the owner's signers are `mine` (this node and its peers marked
 *   mine); in a group it joined, the inviter and the owner devices that trusted `owner` records name,
 *   less those a winning `owner-remove` took away (groups/group-trust.ts), and a removed signer's records
 *   stop counting, so its decisions fall back to the best one a still-trusted signer made;
 * - `settings`, `delete`, `device`, `member`, `owner` and their removals count only when an owner signer
 *   signed them; a member may also sign its own `member-remove` (it leaves);
 * - a member's devices are its root (the device that accepted the invitation) and those named by
 *   `member-device` records signed by the root or by another of its trusted devices (a chain, as
 *   "my devices" introduce each other); a device of the owner's never counts as a member's;
 * - nothing of a group counts until a `settings` or `delete` record of it does; a deleted group keeps
 *   its name and nothing else.
 * The view depends only on the set of records: order and repeats change nothing (a fast-check property
 * checks it).
 */
import {
  compareGroupRecords,
  groupEntryKey,
  groupSlot,
  type GroupRecord,
  type GroupSlot,
  type MemberDeviceRecord,
} from '../protocol/group-records.js';
import { bySubject, trustedSigners, winner } from './group-trust.js';

/** What this node decided itself, against which the records are read. */
export interface GroupAnchors {
  /** This node's fingerprint. */
  readonly self: string;
  /** This node's person's devices: this node and its peers marked mine on both sides. */
  readonly mine: ReadonlySet<string>;
  /** The groups this node's person joined as a member: per group id, the inviter(s) the PAKE confirmed. */
  readonly joined: ReadonlyMap<string, ReadonlySet<string>>;
}

/** One device in a list of the view. */
export interface GroupDevice {
  fingerprint: string;
  name: string;
}

/** A member: a person, known by the root device that accepted the invitation. */
export interface GroupMember {
  root: string;
  name: string;
  /** The root first, then the member's other trusted devices. */
  devices: GroupDevice[];
}

/** One group as this node sees it. */
export interface GroupView {
  id: string;
  name: string;
  /** What members may do on the group's devices (permission words, as signed). */
  allow: string[];
  deleted: boolean;
  /** `owner` where this node's person owns the group, `member` where it joined it. */
  role: 'owner' | 'member';
  devices: GroupDevice[];
  members: GroupMember[];
  /** The owner devices whose records count here. */
  owners: GroupDevice[];
}

export interface GroupsView {
  self: string;
  groups: GroupView[];
}

/** The view, and the records that count in it (the ones worth keeping). */
export interface Settled {
  view: GroupsView;
  counting: GroupRecord[];
}

const short = (fp: string) => fp.slice(0, 8);
const byFingerprint = (a: GroupDevice, b: GroupDevice) => (a.fingerprint < b.fingerprint ? -1 : 1);

/** Per entry and signer, its greatest record: all a signer ever needs to say about one entry. */
export function bestPerSigner(records: Iterable<GroupRecord>): GroupRecord[] {
  const best = new Map<string, GroupRecord>();
  for (const r of records) {
    const key = `${groupEntryKey(r)} ${r.by}`;
    const had = best.get(key);
    if (!had || compareGroupRecords(r, had) > 0) best.set(key, r);
  }
  return [...best.values()];
}

/** The view `records` give on a node with `anchors`. Pure; order and repeats of `records` do not matter. */
export function groupsView(records: Iterable<GroupRecord>, anchors: GroupAnchors): GroupsView {
  return settleGroups(records, anchors).view;
}

/** The view, and which records count in it. */
export function settleGroups(records: Iterable<GroupRecord>, anchors: GroupAnchors): Settled {
  const byGroup = new Map<string, GroupRecord[]>();
  for (const r of bestPerSigner(records)) {
    const list = byGroup.get(r.group);
    if (list) list.push(r);
    else byGroup.set(r.group, [r]);
  }
  const groups: GroupView[] = [];
  const counting: GroupRecord[] = [];
  for (const id of [...byGroup.keys()].sort()) {
    const settled = settleGroup(id, byGroup.get(id)!, anchors);
    if (!settled) continue;
    groups.push(settled.view);
    counting.push(...settled.counting);
  }
  // In one order whatever order the records came in, so the same records are saved as the same file.
  const order = (r: GroupRecord) => `${groupEntryKey(r)} ${r.by}`;
  counting.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { view: { self: anchors.self, groups }, counting };
}

/** The records of one list of a group. */
function inSlot(records: readonly GroupRecord[], slot: GroupSlot): GroupRecord[] {
  return records.filter((r) => groupSlot(r.kind) === slot);
}

/** The owner's signers of group `id`: `mine` where this node's person owns it, else the trusted chain. */
export function ownerSignersOf(
  id: string,
  records: readonly GroupRecord[],
  anchors: GroupAnchors,
): Set<string> {
  const inviters = anchors.joined.get(id);
  if (!inviters) return new Set([anchors.self, ...anchors.mine]);
  return trustedSigners(inviters, bySubject(inSlot(records, 'owner')));
}

function settleGroup(
  id: string,
  records: readonly GroupRecord[],
  anchors: GroupAnchors,
): { view: GroupView; counting: GroupRecord[] } | undefined {
  const role = anchors.joined.has(id) ? 'member' : 'owner';
  const signers = ownerSignersOf(id, records, anchors);
  const byOwner = (r: GroupRecord) => signers.has(r.by);
  const groupRecords = inSlot(records, 'group').filter(byOwner);
  const decided = winner(groupRecords, () => true);
  if (!decided) return undefined;
  const settings = winner(groupRecords, (r) => r.kind === 'settings');
  const name = settings?.kind === 'settings' ? settings.name : '';
  if (decided.kind === 'delete') {
    const view: GroupView = {
      id,
      name,
      allow: [],
      deleted: true,
      role,
      devices: [],
      members: [],
      owners: [],
    };
    return { view, counting: groupRecords };
  }
  const counting: GroupRecord[] = [...groupRecords];
  const allow = decided.kind === 'settings' ? [...decided.allow] : [];

  // Owners: the signers, each with the name the best trusted `owner` record gives it.
  const ownerRecords = inSlot(records, 'owner').filter(byOwner);
  counting.push(...ownerRecords);
  const ownerSubjects = bySubject(ownerRecords);
  const owners: GroupDevice[] =
    role === 'owner'
      ? [...ownerSubjects]
          .map(([, list]) => winner(list, () => true)!)
          .filter((w) => w.kind === 'owner')
          .map((w) => ({ fingerprint: w.subject, name: nameOf(w) ?? short(w.subject) }))
      : [...signers].map((fp) => {
          const named = winner(ownerSubjects.get(fp) ?? [], (r) => r.kind === 'owner');
          return { fingerprint: fp, name: (named && nameOf(named)) ?? short(fp) };
        });
  owners.sort(byFingerprint);

  const deviceRecords = inSlot(records, 'device').filter(byOwner);
  counting.push(...deviceRecords);
  const devices = [...bySubject(deviceRecords).values()]
    .map((list) => winner(list, () => true)!)
    .filter((w) => w.kind === 'device')
    .map((w) => ({ fingerprint: w.subject, name: nameOf(w) ?? short(w.subject) }))
    .sort(byFingerprint);

  // The owner's devices are never a member's, whoever signed that they are.
  const ownersSide = new Set([...devices, ...owners].map((d) => d.fingerprint));
  const memberRecords = inSlot(records, 'member').filter(
    (r) => byOwner(r) || (r.kind === 'member-remove' && r.by === r.subject),
  );
  counting.push(...memberRecords);
  const members: GroupMember[] = [];
  const memberDevices = inSlot(records, 'member-device') as MemberDeviceRecord[];
  for (const [root, list] of [...bySubject(memberRecords)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const w = winner(list, () => true)!;
    if (w.kind !== 'member' || ownersSide.has(root)) continue;
    const own = memberDevices.filter((r) => r.member === root && !ownersSide.has(r.subject));
    const trusted = trustedSigners(new Set([root]), bySubject(own));
    const countingOwn = own.filter((r) => trusted.has(r.by));
    counting.push(...countingOwn);
    const named = bySubject(countingOwn);
    const more = [...trusted]
      .filter((fp) => fp !== root)
      .map((fp) => {
        const n = winner(named.get(fp) ?? [], (r) => r.kind === 'member-device');
        return { fingerprint: fp, name: (n && nameOf(n)) ?? short(fp) };
      })
      .sort(byFingerprint);
    const personName = nameOf(w) ?? short(root);
    members.push({ root, name: personName, devices: [{ fingerprint: root, name: personName }, ...more] });
  }
  return { view: { id, name, allow, deleted: false, role, devices, members, owners }, counting };
}

function nameOf(r: GroupRecord): string | undefined {
  return 'name' in r ? r.name : undefined;
}

/** What a peer may do here through groups, and the groups it comes from. */
export interface GroupAccess {
  /** The union of the groups' words, each once, sorted. */
  allow: string[];
  /** The names of the groups that give it, sorted. */
  groups: string[];
}

/**
 * What peer `fingerprint` may do on this node through groups: the union of the words of every live
 * group in which it is one of a member's devices and this node is one of the group's devices. Admission
 * (a later part) intersects it with the words this node knows.
 */
export function groupAccessOf(view: GroupsView, fingerprint: string): GroupAccess {
  const allow = new Set<string>();
  const groups: string[] = [];
  for (const g of view.groups) {
    if (g.deleted || !g.devices.some((d) => d.fingerprint === view.self)) continue;
    if (!g.members.some((m) => m.devices.some((d) => d.fingerprint === fingerprint))) continue;
    for (const w of g.allow) allow.add(w);
    groups.push(g.name);
  }
  return { allow: [...allow].sort(), groups: groups.sort() };
}
