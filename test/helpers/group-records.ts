/**
 * Group records for tests (docs/adr/0089-groups.md): devices with identities, records signed at a
 * chosen seq, and the anchors of an owner's device and of a member's.
 */
import type { Identity } from '../../src-main/crypto/identity.js';
import { signGroupRecord } from '../../src-main/crypto/group-signature.js';
import type { GroupDecision } from '../../src-main/groups/group-decisions.js';
import type { GroupAnchors } from '../../src-main/groups/group-view.js';
import { GROUPS_PROTOCOL_VERSION, type GroupRecord } from '../../src-main/protocol/group-records.js';
import type { FileGroupBook } from '../../src-main/groups/group-book.js';
import { GroupExits } from '../../src-main/groups/group-exits.js';
import { testIdentity } from './identities.js';

export const GROUP = 'a1'.repeat(16);
export const OTHER_GROUP = 'b2'.repeat(16);
export const AT = '2026-11-28T10:00:00.000Z';

/** The people's devices: O1–O3 and C are the owner's, M1–M3 a member's, N1 another member's, X an outsider. */
export async function devices() {
  const names = ['o1', 'o2', 'o3', 'c', 'm1', 'm2', 'm3', 'n1', 'x'] as const;
  const ids = await Promise.all(names.map((n) => testIdentity(`group ${n}`)));
  return Object.fromEntries(names.map((n, i) => [n, ids[i]!])) as Record<(typeof names)[number], Identity>;
}

/** `decision` signed by `by` at `seq`. */
export function rec(by: Identity, seq: number, decision: GroupDecision): GroupRecord {
  return signGroupRecord(by, {
    ...decision,
    v: GROUPS_PROTOCOL_VERSION,
    seq,
    by: by.fingerprint,
    byCert: Buffer.from(by.certDer).toString('base64'),
    at: AT,
  });
}

/** Short forms of the decisions. */
export const settings = (name: string, allow: string[] = ['terminal'], group = GROUP): GroupDecision => ({
  kind: 'settings',
  group,
  subject: group,
  name,
  allow,
});
export const del = (group = GROUP): GroupDecision => ({ kind: 'delete', group, subject: group });
export const device = (d: Identity, name: string, group = GROUP): GroupDecision => ({
  kind: 'device',
  group,
  subject: d.fingerprint,
  name,
});
export const drop = (
  kind: 'device-drop' | 'member-remove' | 'owner-remove',
  d: Identity,
  group = GROUP,
): GroupDecision => ({ kind, group, subject: d.fingerprint });
export const member = (root: Identity, name: string, group = GROUP): GroupDecision => ({
  kind: 'member',
  group,
  subject: root.fingerprint,
  name,
});
export const owner = (d: Identity, name: string, group = GROUP): GroupDecision => ({
  kind: 'owner',
  group,
  subject: d.fingerprint,
  name,
});
export const memberDevice = (root: Identity, d: Identity, name: string, group = GROUP): GroupDecision => ({
  kind: 'member-device',
  group,
  subject: d.fingerprint,
  member: root.fingerprint,
  name,
});
export const memberDeviceRemove = (root: Identity, d: Identity, group = GROUP): GroupDecision => ({
  kind: 'member-device-remove',
  group,
  subject: d.fingerprint,
  member: root.fingerprint,
});

/** The anchors of one of the owner's devices: `self` and the owner's devices it marks mine. */
export function ownerAnchors(self: Identity, mine: Identity[]): GroupAnchors {
  return {
    self: self.fingerprint,
    mine: new Set([self, ...mine].map((d) => d.fingerprint)),
    joined: new Map(),
  };
}

/** The anchors of a member's device that joined `group` through `inviter`. */
export function memberAnchors(
  self: Identity,
  mine: Identity[],
  inviter: Identity,
  group = GROUP,
): GroupAnchors {
  return {
    self: self.fingerprint,
    mine: new Set([self, ...mine].map((d) => d.fingerprint)),
    joined: new Map([[group, new Set([inviter.fingerprint])]]),
  };
}

/**
 * The group both test files start from: O1 made `lab` with O2 and O3, named its three devices owners,
 * invited M1; M1 added M2. With the anchors of O2 (an owner device) and of M1 (the member).
 */
export function lab(d: Awaited<ReturnType<typeof devices>>) {
  const { o1, o2, o3, m1, m2 } = d;
  const records: GroupRecord[] = [
    rec(o1, 1, settings('lab')),
    rec(o1, 1, owner(o1, 'o1')),
    rec(o1, 1, owner(o2, 'o2')),
    rec(o1, 1, owner(o3, 'o3')),
    rec(o1, 1, device(o2, 'o2')),
    rec(o1, 1, device(o3, 'o3')),
    rec(o1, 1, member(m1, 'mira')),
    rec(m1, 1, memberDevice(m1, m2, 'm2')),
  ];
  return { records, onO2: ownerAnchors(o2, [o1, o3]), onM1: memberAnchors(m1, [m2], o1) };
}

/** The exits (groups/group-exits.ts) that follow `book`, as the groups domain builds them. */
export function exitsOf(book: FileGroupBook): GroupExits {
  return new GroupExits({
    view: () => book.view(),
    records: () => book.records(),
    anchors: () => book.anchors(),
  });
}
