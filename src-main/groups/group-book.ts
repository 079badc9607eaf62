/**
 * The groups this node keeps (docs/adr/0089-groups.md, docs/adr/0092-groups-reach-and-admission.md):
 * the signed group records it received or signed, and the groups its person joined (`joined`: per
 * group the inviter the invitation's PAKE confirmed). One owner, `GroupBook`, read live and written
 * here only; each change is saved (groups.json in the home, durably, home/durable-file.ts) before it
 * counts. Everything a change brings goes through groups/group-plan.ts planGroupExchange, so a
 * decision made here is bounded exactly as records from a peer are.
 *
 * The file is checked when read: a record that does not parse or whose signature does not hold is
 * dropped with a warning, and so is a `joined` entry that is not a group id and fingerprints; a file
 * that is not JSON of this shape is moved aside (`groups.json.unreadable`, never overwritten by the
 * next save) with a warning, and the node starts without it: the other devices of the group pass their
 * records on at the next exchange.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import { groupSignatureProblem } from '../crypto/group-signature.js';
import { replaceFileSync } from '../home/durable-file.js';
import { readKeptFile } from '../home/kept-file.js';
import { GROUP_ID, groupRecord, groupSlot, type GroupRecord } from '../protocol/group-records.js';
import { signGroupDecision, type GroupDecision } from './group-decisions.js';
import { GROUP_BOUNDS, planGroupExchange, unsignedProblem, type SignatureProblem } from './group-plan.js';
import { groupsView, type GroupAnchors, type GroupsView } from './group-view.js';
import type { GroupBook, JoinedAnchors } from './group-book-key.js';
import { GroupRecordChecks, type CheckPrincipal } from './group-record-checks.js';

/** The file's name in the home. */
export const GROUPS_FILE = 'groups.json';
/** Where an unreadable groups file is moved, so the next save does not overwrite what it held. */
export const UNREADABLE_GROUPS_FILE = `${GROUPS_FILE}.unreadable`;

const FINGERPRINT = /^[0-9a-f]{64}$/;

/** The book as the exchange service uses it: also what came from a peer, and the joined anchors. */
export interface GroupStore extends GroupBook {
  /** Every record kept. */
  records(): GroupRecord[];
  /** This node's anchors now. */
  anchors(): GroupAnchors;
  /**
   * Applies one exchange from a peer (and, from a device of this person's, the groups it joined), whole
   * or not at all.
   * @returns why it was refused, or undefined (kept, or nothing new)
   */
  receive(records: readonly unknown[], joined?: JoinedAnchors): Promise<string | undefined>;
}

/** What is kept between runs. */
export interface GroupFileContent {
  records: GroupRecord[];
  joined: JoinedAnchors;
}

/** Where the book is kept between runs: a file in the home, or memory (tests). */
export interface GroupBookBacking {
  load(): GroupFileContent;
  /** Saves durably. @throws the file system's error; nothing counts then. */
  save(content: GroupFileContent): void;
  readonly path?: string;
  /** True when `load` gives only records whose signatures it checked (they are not checked again). */
  readonly checksSignatures?: boolean;
}

const fileSchema = () =>
  z.object({
    version: z.literal(1),
    records: z.array(z.unknown()).max(GROUP_BOUNDS.recordsPerGroup * (GROUP_BOUNDS.groups + 1)),
    joined: z.record(z.string(), z.array(z.string()).max(GROUP_BOUNDS.ownersPerGroup)).default({}),
  });

/** The file in `home`. `warn` says what was dropped or set aside when it is read. */
export function groupBookFile(home: string, warn: (line: string) => void): GroupBookBacking {
  const path = join(home, GROUPS_FILE);
  return {
    path,
    checksSignatures: true,
    load() {
      const content = readKeptFile(
        path,
        join(home, UNREADABLE_GROUPS_FILE),
        (json) => fileSchema().parse(json),
        warn,
        "without it — the group's other devices pass their records on at the next exchange",
      );
      if (!content) return { records: [], joined: new Map() };
      const records: GroupRecord[] = [];
      for (const [i, raw] of content.records.entries()) {
        const parsed = groupRecord().safeParse(raw);
        const problem = parsed.success ? groupSignatureProblem(parsed.data) : parsed.error.issues[0]?.message;
        if (!parsed.success || problem) {
          warn(`${path}: record ${i + 1} dropped: ${problem ?? 'not a group record'}`);
          continue;
        }
        records.push(parsed.data);
      }
      const joined = new Map<string, Set<string>>();
      for (const [group, inviters] of Object.entries(content.joined)) {
        const ok = GROUP_ID.test(group) && inviters.every((fp) => FINGERPRINT.test(fp));
        if (ok && inviters.length > 0) joined.set(group, new Set(inviters));
        else warn(`${path}: joined group ${group.slice(0, 32)} dropped: not a group id and inviters`);
      }
      return { records, joined };
    },
    save({ records, joined }) {
      const out = Object.fromEntries([...joined].map(([g, s]) => [g, [...s].sort()]));
      replaceFileSync(path, `${JSON.stringify({ version: 1, records, joined: out }, null, 1)}\n`, 0o600);
    },
  };
}

/** Keeps nothing between runs. */
export function inMemoryGroupBook(
  initial?: GroupFileContent,
): GroupBookBacking & { saved(): GroupFileContent } {
  let saved: GroupFileContent = initial ?? { records: [], joined: new Map() };
  return {
    load: () => saved,
    save: (content) => {
      saved = { records: [...content.records], joined: new Map(content.joined) };
    },
    saved: () => saved,
  };
}

export interface GroupBookDeps {
  backing: GroupBookBacking;
  /** Signs this node's decisions. */
  identity: Pick<Identity, 'fingerprint' | 'keyPem' | 'certDer'>;
  /** This node's person's other devices now: its peers marked mine on both sides. */
  mine(): Iterable<string>;
  now?: () => Date;
  /** What checking a peer's records may cost (one per node); a fresh one by default. */
  checks?: GroupRecordChecks;
}

/** The one owner of the kept group records and joined anchors. */
export class FileGroupBook implements GroupStore {
  private kept: GroupRecord[];
  private joined: Map<string, ReadonlySet<string>>;
  private readonly events = new Emitter<{ change: [] }>();
  private cached:
    { records: GroupRecord[]; joined: JoinedAnchors; key: string; view: GroupsView } | undefined;
  /** One change at a time: each plans against what the one before it saved. */
  private queue: Promise<unknown> = Promise.resolve();
  readonly checks: GroupRecordChecks;

  constructor(private readonly deps: GroupBookDeps) {
    this.checks = deps.checks ?? new GroupRecordChecks();
    const loaded = deps.backing.load();
    this.joined = new Map(loaded.joined);
    // What the file holds is read as if it came now: records that no longer count are not kept.
    const checked = deps.backing.checksSignatures === true ? () => undefined : undefined;
    const plan = planGroupExchange([], loaded.records, this.anchors(), GROUP_BOUNDS, checked);
    this.kept = 'plan' in plan ? plan.plan.records : loaded.records;
  }

  get path(): string {
    return this.deps.backing.path ?? 'the group records';
  }

  anchors(): GroupAnchors {
    const self = this.deps.identity.fingerprint;
    return { self, mine: new Set([self, ...this.deps.mine()]), joined: this.joined };
  }

  records(): GroupRecord[] {
    return [...this.kept];
  }

  view(): GroupsView {
    // Asked at every stream check and change signal: worked out again only when the records or the
    // anchors changed.
    const anchors = this.anchors();
    const key = [...anchors.mine].sort().join(' ');
    if (this.cached?.records !== this.kept || this.cached.joined !== this.joined || this.cached.key !== key)
      this.cached = { records: this.kept, joined: this.joined, key, view: groupsView(this.kept, anchors) };
    return this.cached.view;
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }

  decide(decisions: GroupDecision[]): Promise<void> {
    return this.serial(() => {
      const signed: GroupRecord[] = [];
      const now = this.deps.now?.() ?? new Date();
      for (const d of decisions)
        signed.push(signGroupDecision(this.deps.identity, [...this.kept, ...signed], d, now));
      const refused = this.apply(this.kept, signed, this.joined);
      if (refused) throw new ClawError('BAD_ARGUMENT', refused);
    });
  }

  join(group: string, inviter: string, records: readonly GroupRecord[]): Promise<void> {
    return this.serial(() => {
      if (!GROUP_ID.test(group)) throw new ClawError('BAD_ARGUMENT', `${group} is not a group id`);
      const joined = new Map(this.joined);
      joined.set(group, new Set([...(this.joined.get(group) ?? []), inviter]));
      const refused = this.apply(this.kept, records, joined);
      if (refused) throw new ClawError('BAD_ARGUMENT', `the group's records are refused: ${refused}`);
    });
  }

  async receive(records: readonly unknown[], joined?: JoinedAnchors): Promise<string | undefined> {
    return (await this.receiveFrom(records, joined, undefined)).refused;
  }

  /**
   * `receive` for an exchange from `sender` (whose budget its new records' checks spend,
   * group-record-checks.ts; undefined: this person's own devices). Says why it was refused, if it
   * was, and how many signatures it cost.
   */
  receiveFrom(
    records: readonly unknown[],
    joined: JoinedAnchors | undefined,
    sender: CheckPrincipal,
  ): Promise<{ refused?: string; signatures: number }> {
    return this.serial(async () => {
      let anchors = this.joined;
      if (joined && joined.size > 0) {
        anchors = new Map(this.joined);
        for (const [g, inviters] of joined) {
          if (!GROUP_ID.test(g))
            return { refused: `joined group ${g.slice(0, 32)} is not a group id`, signatures: 0 };
          if (!this.joined.has(g) && anchors.size >= GROUP_BOUNDS.groups + GROUP_BOUNDS.deletedGroups)
            return { refused: `it would make more than ${anchors.size} joined groups`, signatures: 0 };
          const all = new Set([...(anchors.get(g) ?? []), ...inviters]);
          if (all.size > GROUP_BOUNDS.ownersPerGroup)
            return { refused: `group ${g.slice(0, 8)} would have too many inviters`, signatures: 0 };
          anchors.set(g, all);
        }
      }
      const withJoined = { ...this.anchors(), joined: anchors };
      const checked = await this.checks.check(records, sender, (received) =>
        unsignedProblem(this.kept, received, withJoined),
      );
      if ('refused' in checked) return checked;
      // Every signature was checked just now or before: the plan checks none again.
      const refused = this.apply(this.kept, checked.records, anchors, () => undefined);
      return { ...(refused ? { refused } : {}), signatures: checked.signatures };
    });
  }

  /**
   * The records `peer` may be sent: a device of this person's gets every record; a member's device
   * the group's own records (settings, devices, owners) and its member's, of each group it is a
   * device of a member in; anyone else nothing.
   */
  recordsFor(peer: string): GroupRecord[] {
    if (this.anchors().mine.has(peer)) return this.records();
    return [...this.forMemberDevice(peer), ...this.fromMemberDevice(peer)];
  }

  /**
   * On a member's device, what one of the group's devices (or owner devices) may be sent: this
   * member's own records (its devices, its leave), so the group's devices let its other devices in.
   */
  private fromMemberDevice(peer: string): GroupRecord[] {
    const self = this.deps.identity.fingerprint;
    const out: GroupRecord[] = [];
    for (const g of this.view().groups) {
      if (g.role !== 'member') continue;
      if (!g.devices.some((d) => d.fingerprint === peer) && !g.owners.some((d) => d.fingerprint === peer))
        continue;
      const m = g.members.find((x) => x.devices.some((d) => d.fingerprint === self));
      const root = m?.root ?? self;
      for (const r of this.kept) {
        if (r.group !== g.id) continue;
        if ((groupSlot(r.kind) === 'member' && r.subject === root) || ('member' in r && r.member === root))
          out.push(r);
      }
    }
    return out;
  }

  /** On an owner's device, what a member's device may be sent. */
  private forMemberDevice(peer: string): GroupRecord[] {
    // Read from the kept records, removals included: a member removed, or a device of its dropped, is
    // sent the record that removed it.
    const roots = new Map<string, string>();
    for (const r of this.kept) {
      if ((r.kind === 'member' || r.kind === 'member-remove') && r.subject === peer) roots.set(r.group, peer);
      if ('member' in r && r.subject === peer && !roots.has(r.group)) roots.set(r.group, r.member);
    }
    return this.kept.filter((r) => {
      const root = roots.get(r.group);
      if (root === undefined) return false;
      const slot = groupSlot(r.kind);
      if (slot === 'group' || slot === 'device' || slot === 'owner') return true;
      if (slot === 'member') return r.subject === root;
      return 'member' in r && r.member === root;
    });
  }

  /** The groups this node's person joined, for its own other devices. */
  joinedAnchors(): JoinedAnchors {
    return this.joined;
  }

  private apply(
    current: readonly GroupRecord[],
    incoming: readonly unknown[],
    joined: Map<string, ReadonlySet<string>>,
    signatureProblem?: SignatureProblem,
  ): string | undefined {
    const anchors = { ...this.anchors(), joined };
    const result = planGroupExchange(current, incoming, anchors, GROUP_BOUNDS, signatureProblem);
    if ('refused' in result) return result.refused;
    const anchorsChanged = !sameJoined(joined, this.joined);
    if (!result.plan.changed && !anchorsChanged) return undefined;
    this.deps.backing.save({ records: result.plan.records, joined });
    this.kept = result.plan.records;
    this.joined = joined;
    this.events.emit('change');
    return undefined;
  }

  private serial<T>(work: () => T | Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function sameJoined(a: JoinedAnchors, b: JoinedAnchors): boolean {
  if (a.size !== b.size) return false;
  for (const [g, s] of a) {
    const t = b.get(g);
    if (!t || t.size !== s.size || [...s].some((x) => !t.has(x))) return false;
  }
  return true;
}
