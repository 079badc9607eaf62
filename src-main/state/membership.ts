/**
 * The owner's devices as this node keeps them (docs/adr/0056-my-devices.md): what a set of
 * membership records received from one of them does to the node's peers, blocked nodes and record
 * log, decided in one pure function so an exchange is applied whole or not at all. The introductions
 * part (pairing/introductions.ts) moves the records and commits the plan in one write.
 *
 * The rules, in the order they are checked:
 * - the whole exchange is refused (a log line says why, nothing changes) when it holds too many
 *   records, a record whose signature does not hold, a record introducing this node to itself, would
 *   add more than MAX_NEW_DEVICES_PER_EXCHANGE devices, or would make the log longer than it may be;
 * - a record is used only when its signer is this node, a peer marked mine here (possibly one the
 *   same exchange introduced), or a device this node has not met that the exchange shows as one of
 *   the owner's (its introduction is in the exchange, signed by such a device: the sender passes on
 *   what it accepted, and a chain of introductions may loop, b introduced by c and c by b, with none
 *   signed by a device this node knows; docs/adr/0058-introduced-by-the-sender.md); records signed
 *   by a peer here not marked mine, or by a node blocked here, are skipped;
 * - per device the winning record stays (protocol/member-records.ts compareMemberRecords): an
 *   introduction older than a removal of the same device is refused;
 * - an introduction of a node blocked here is refused, unless the block came from a removal record
 *   (`byRemoval`) it is newer than (the owner paired that device again on one of their machines): a
 *   node the owner removed or rejected here by hand comes back only by pairing it here, even when a
 *   removal record of it is kept too;
 * - an introduced node that is already a peer here keeps its record (a peer not marked mine stays so);
 *   a new one becomes a peer marked mine, allowed `mineAllow`, with the introducer as `introducedBy`;
 * - a removal removes and blocks its device.
 */
import { receivedNodeName } from '../core/names.js';
import { memberSignatureProblem, signMemberRecord } from '../crypto/member-signature.js';
import type { Identity } from '../crypto/identity.js';
import {
  compareMemberRecords,
  MAX_INTRO_ADDRESSES,
  MAX_MEMBER_RECORDS,
  MAX_MEMBER_SEQ,
  MEMBERS_PROTOCOL_VERSION,
  type MemberRecord,
} from '../protocol/member-records.js';
import { peerNameClash, uniquePeerName } from './peer-names.js';
import type { PeerRecord, RelaySetting, Settings } from './settings.js';
import { isoTime } from '../core/iso-time.js';

/** Most devices one exchange may add here (16): more is a flood, refused whole. */
export const MAX_NEW_DEVICES_PER_EXCHANGE = 16;

/** A line for the agent's log: what was refused or skipped, and why. */
export interface MembershipNote {
  level: 'info' | 'warn' | 'debug';
  line: string;
}

/** A device an exchange added or removed here, and whose decision it was. */
export interface MembershipEvent {
  fingerprint: string;
  name: string;
  by: string;
}

/** What an exchange changes: the lists to save (in one write), and what to say. */
export interface MembershipPlan {
  peers: PeerRecord[];
  blocked: Settings['blocked'];
  members: MemberRecord[];
  added: MembershipEvent[];
  removed: MembershipEvent[];
  notes: MembershipNote[];
  /** True when the log, the peers or the blocked list differ from before. */
  changed: boolean;
}

export type MembershipResult = { refused: string } | { plan: MembershipPlan };

/** What an exchange is decided against: the owner's lists (config.json) and the kept records (member-log.ts). */
export type MembershipState = Pick<Settings, 'peers' | 'blocked' | 'mineAllow'> & {
  members: readonly MemberRecord[];
};

const short = (fp: string) => fp.slice(0, 8);

/** The local name for an introduced device: its name in normal form, with a fingerprint suffix on a look-alike. */
export function introducedName(peers: readonly PeerRecord[], wanted: string, fingerprint: string): string {
  const name = receivedNodeName(wanted);
  if (peerNameClash(peers, name, fingerprint) === undefined) return name;
  return uniquePeerName(peers, `${name}-${short(fingerprint)}`, fingerprint);
}

/**
 * What `records`, received from `from`, do to `settings` on node `self`. Pure: the caller saves the
 * plan's lists in one write, or nothing when refused.
 */
export function planMembership(
  settings: MembershipState,
  self: string,
  from: string,
  records: readonly MemberRecord[],
  now = new Date(),
): MembershipResult {
  const fromName = settings.peers.find((p) => p.fingerprint === from)?.name ?? short(from);
  if (records.length > MAX_MEMBER_RECORDS)
    return { refused: `${records.length} records, at most ${MAX_MEMBER_RECORDS} at once` };
  for (const r of records) {
    const problem = memberSignatureProblem(r);
    if (problem)
      return { refused: `the ${r.kind} record of ${short(r.subject)} by ${short(r.by)}: ${problem}` };
    if (r.subject === self && r.kind === 'intro')
      return { refused: `it introduces this node to itself (a loop), signed by ${short(r.by)}` };
  }
  const log = new Map(settings.members.map((r) => [r.subject, r]));
  const peers = new Map(settings.peers.map((p) => [p.fingerprint, p]));
  const blocked = new Map(settings.blocked.map((b) => [b.fingerprint, b]));
  const notes: MembershipNote[] = [];
  const added: MembershipEvent[] = [];
  const removed: MembershipEvent[] = [];
  let changed = false;
  const nameOf = (fp: string) => peers.get(fp)?.name ?? short(fp);
  const isMember = (fp: string) => fp === self || peers.get(fp)?.mine === true;

  const decide = (r: MemberRecord) => {
    const current = log.get(r.subject);
    if (current && compareMemberRecords(r, current) <= 0) {
      if (r.kind === 'intro' && current.kind === 'remove') {
        notes.push({
          level: 'info',
          line: `introduction of ${short(r.subject)} by ${nameOf(r.by)} refused: older than its removal by ${nameOf(current.by)}`,
        });
      }
      return;
    }
    if (r.subject === self) {
      // A removal of this node: its owner removed it elsewhere; the others refuse its links now.
      notes.push({ level: 'warn', line: `${nameOf(r.by)} removed this node from the owner's devices` });
      log.set(r.subject, r);
      changed = true;
      return;
    }
    if (r.kind === 'remove') {
      log.set(r.subject, r);
      changed = true;
      const peer = peers.get(r.subject);
      if (peer) {
        peers.delete(r.subject);
        removed.push({ fingerprint: r.subject, name: peer.name, by: r.by });
      }
      // A block the owner made here by hand stays one: the removal does not make it undoable.
      const had = blocked.get(r.subject);
      if (!had || had.byRemoval)
        blocked.set(r.subject, { fingerprint: r.subject, at: isoTime(now.getTime()), byRemoval: true });
      return;
    }
    const block = blocked.get(r.subject);
    if (block && !(current?.kind === 'remove' && block.byRemoval === true)) {
      notes.push({
        level: 'warn',
        line: `introduction of ${r.name} (${short(r.subject)}) by ${nameOf(r.by)} refused: it is blocked here (removed or rejected on this node; pair it here to trust it again)`,
      });
      return;
    }
    log.set(r.subject, r);
    changed = true;
    const existing = peers.get(r.subject);
    if (existing) {
      if (existing.mine !== true) {
        notes.push({
          level: 'info',
          line: `${nameOf(r.by)} introduced ${existing.name}, a peer here not marked as one of the owner's devices: left as it is`,
        });
      }
      return;
    }
    blocked.delete(r.subject);
    const name = introducedName([...peers.values()], r.name, r.subject);
    const homeRelay: RelaySetting | undefined = r.homeRelay
      ? { url: r.homeRelay.url, ...(r.homeRelay.fingerprint ? { fingerprint: r.homeRelay.fingerprint } : {}) }
      : undefined;
    peers.set(r.subject, {
      fingerprint: r.subject,
      name,
      allow: [...settings.mineAllow],
      addresses: r.addresses.map((address) => ({ address, from: ['hello'] })),
      addedAt: isoTime(now.getTime()),
      ...(homeRelay ? { homeRelay } : {}),
      mine: true,
      introducedBy: r.by,
    });
    added.push({ fingerprint: r.subject, name, by: r.by });
  };

  const vouched = vouchedSigners(records, self, (fp) => peers.has(fp) || blocked.has(fp), isMember);
  // Records signed by a device the same exchange introduces come after its introduction: go round
  // until a pass uses none (at most one pass per record). When no signer left is a device here, those
  // the exchange shows as the owner's (vouched) come next: their introductions then count too.
  let waiting = [...records];
  for (let pass = 0; pass <= records.length && waiting.length > 0; pass++) {
    let ready = waiting.filter((r) => isMember(r.by));
    if (ready.length === 0) ready = waiting.filter((r) => vouched.has(r.by));
    if (ready.length === 0) break;
    for (const r of ready) decide(r);
    waiting = waiting.filter((r) => !ready.includes(r));
  }
  for (const r of waiting) {
    notes.push({
      level: 'debug',
      line: `${r.kind} record of ${short(r.subject)} from ${fromName} skipped: signed by ${short(r.by)}, not one of this node's devices`,
    });
  }
  if (added.length > MAX_NEW_DEVICES_PER_EXCHANGE)
    return {
      refused: `it would add ${added.length} devices, at most ${MAX_NEW_DEVICES_PER_EXCHANGE} at once`,
    };
  if (log.size > MAX_MEMBER_RECORDS)
    return { refused: `it would make the list of devices longer than ${MAX_MEMBER_RECORDS}` };
  return {
    plan: {
      peers: [...peers.values()],
      blocked: [...blocked.values()],
      members: [...log.values()],
      added,
      removed,
      notes,
      changed,
    },
  };
}

/**
 * The signers of `records` this node has not met (neither a peer nor blocked here: `known`) that the
 * exchange itself shows as the owner's devices: the exchange's winning record about each is an
 * introduction signed by a device here (`isMember`) or by another such signer. The greatest such set,
 * so a loop of introductions (b by c, c by b) stands, passed on by a device marked mine here; a signer
 * introduced only by a peer not marked mine, a blocked node or itself is not among them.
 */
function vouchedSigners(
  records: readonly MemberRecord[],
  self: string,
  known: (fp: string) => boolean,
  isMember: (fp: string) => boolean,
): Set<string> {
  const winner = new Map<string, MemberRecord>();
  for (const r of records) {
    const w = winner.get(r.subject);
    if (!w || compareMemberRecords(r, w) > 0) winner.set(r.subject, r);
  }
  const introducer = new Map<string, string>();
  for (const [subject, r] of winner) {
    if (r.kind === 'intro' && r.by !== subject && subject !== self && !known(subject))
      introducer.set(subject, r.by);
  }
  const vouched = new Set(introducer.keys());
  // Drop a signer whose introducer does not count until none is dropped (at most one round each).
  for (let dropped = true; dropped;) {
    dropped = false;
    for (const fp of vouched) {
      const by = introducer.get(fp)!;
      if (!isMember(by) && !vouched.has(by)) {
        vouched.delete(fp);
        dropped = true;
      }
    }
  }
  return vouched;
}

/** What this node knows of a device it introduces: where to dial it. */
export interface IntroKnowledge {
  addresses: readonly string[];
  homeRelay?: RelaySetting | undefined;
}

/**
 * The next seq for a record about `subject` in `members`: one more than the kept one, and never past
 * MAX_MEMBER_SEQ. An honest device adds one per decision and never gets near the top, but a device
 * of the owner's (or one that turned hostile) may sign any seq up to it; one past it would be a record
 * every other device refuses, so a removal of a device introduced at the top would never leave this
 * node. At the top the next record takes the same seq instead: a removal still wins there (at equal
 * seq a removal beats an introduction, compareMemberRecords), so it always reaches the others and is
 * kept across restarts; an introduction at the top only ties with the one it follows (the higher
 * signer wins) and cannot undo a removal there, which is what the removal asked for.
 */
function nextSeq(members: readonly MemberRecord[], subject: string): number {
  return Math.min((members.find((r) => r.subject === subject)?.seq ?? 0) + 1, MAX_MEMBER_SEQ);
}

/** This node's signed introduction of its peer `peer` (the owner marked it mine here). */
export function introduce(
  identity: Pick<Identity, 'keyPem' | 'certDer' | 'fingerprint'>,
  members: readonly MemberRecord[],
  peer: Pick<PeerRecord, 'fingerprint' | 'name'>,
  known: IntroKnowledge,
  now = new Date(),
): MemberRecord {
  const relay = known.homeRelay;
  return signMemberRecord(identity, {
    v: MEMBERS_PROTOCOL_VERSION,
    kind: 'intro',
    subject: peer.fingerprint,
    seq: nextSeq(members, peer.fingerprint),
    by: identity.fingerprint,
    byCert: Buffer.from(identity.certDer).toString('base64'),
    at: isoTime(now.getTime()),
    name: peer.name,
    addresses: known.addresses.slice(0, MAX_INTRO_ADDRESSES),
    ...(relay
      ? { homeRelay: { url: relay.url, ...(relay.fingerprint ? { fingerprint: relay.fingerprint } : {}) } }
      : {}),
  });
}

/** This node's signed removal of `subject` from the owner's devices. */
export function removal(
  identity: Pick<Identity, 'keyPem' | 'certDer' | 'fingerprint'>,
  members: readonly MemberRecord[],
  subject: string,
  now = new Date(),
): MemberRecord {
  return signMemberRecord(identity, {
    v: MEMBERS_PROTOCOL_VERSION,
    kind: 'remove',
    subject,
    seq: nextSeq(members, subject),
    by: identity.fingerprint,
    byCert: Buffer.from(identity.certDer).toString('base64'),
    at: isoTime(now.getTime()),
  });
}

/** `members` with `record` as the one about its device. */
export function withRecord(members: readonly MemberRecord[], record: MemberRecord): MemberRecord[] {
  return [...members.filter((r) => r.subject !== record.subject), record];
}
