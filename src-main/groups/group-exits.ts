/**
 * Who is still owed the record that took its group access away here (docs/adr/0092, "Amended"): a
 * removal hangs up on the devices it concerns, so without this they would never hear of it and would
 * list the group, and knock, for good.
 *
 * - On one of a group's devices: each device of a member that loses its access here (the member
 *   removed or gone, one of its devices removed, this device dropped from the group, the group
 *   deleted) is owed the records that say so. It stays let in for the `groups` exchange alone (no
 *   word, no other service: services/admission.ts Guest.services), is sent only those records, and
 *   nothing it sends is applied.
 * - On a member's device whose person left (its own `member-remove`): each of the group's devices
 *   is owed that leave, so the owner's side stops listing the member; this device keeps dialing it
 *   for the exchange until one went through.
 *
 * Bounded three ways, so that a removed device never gets more than the news: MAX_EXIT_EXCHANGES
 * exchanges, EXIT_TTL_MS after this node learned of the removal, and MAX_EXITS at once (the oldest
 * leaves first). Once told (or its exchanges spent), a removed device is kept until that time as
 * refused: a knock of its that comes after the news (a dial that was already under way, a sync that
 * had started) is refused as a removal, never taken for a stranger's pair request for the owner. An
 * exit ends at once when the device has its access back (the owner invited it again): it is then a
 * guest as any other. Kept across restarts when the node gives a backing
 * (group-exits-file.ts), so a device that restarts within the week still owes the news; the group's
 * other devices that learn of the removal later owe it in turn.
 */
import { Emitter, type Disposer } from '../core/emitter.js';
import { groupSlot, type GroupRecord } from '../protocol/group-records.js';
import type { GroupAnchors, GroupsView } from './group-view.js';

/** How long a device that lost its access is let in for the news, in ms after this node learned it. */
export const EXIT_TTL_MS = 7 * 24 * 3_600_000;
/** Exchanges one such device is given: the news needs one; the rest are for a link that failed. */
export const MAX_EXIT_EXCHANGES = 4;
/** Devices owed the news at once here; past it the one owed longest is let go. */
export const MAX_EXITS = 256;

/** A device owed the news of its removal from one group. */
export interface GroupExit {
  readonly fingerprint: string;
  /** The group's id. */
  readonly group: string;
  /** The group's name, and the device's as this node named it while it had access. */
  readonly groupName: string;
  readonly name: string;
  /** The root of the member it is (or was) a device of: whose records it is sent. */
  readonly root: string;
  /** True: this node dials it (a group's device, owed a leave); false: it comes here. */
  readonly dial: boolean;
  /** When it stops being let in, in ms since the epoch. */
  readonly until: number;
  /** Exchanges it may still have; 0: told (or given up on), and refused until `until`. */
  readonly left: number;
}

export interface GroupExitsDeps {
  view(): GroupsView;
  records(): readonly GroupRecord[];
  anchors(): GroupAnchors;
  now?: () => number;
  /** Where the exits are kept between runs (absent: in memory only). */
  backing?: GroupExitsBacking;
}

/** What GroupExits keeps between runs (group-exits-file.ts: group-exits.json). */
export interface GroupExitsBacking {
  load(): readonly GroupExit[];
  save(exits: readonly GroupExit[]): void;
}

type Reach = Omit<GroupExit, 'until' | 'left'>;

const keyOf = (r: { fingerprint: string; group: string }) => `${r.fingerprint} ${r.group}`;

/** Who has access through each group here now: a member's devices here, or the group's devices there. */
function reachOf(view: GroupsView): Map<string, Reach> {
  const out = new Map<string, Reach>();
  const self = view.self;
  for (const g of view.groups) {
    if (g.deleted) continue;
    if (g.role === 'owner' && g.devices.some((d) => d.fingerprint === self)) {
      for (const m of g.members)
        for (const d of m.devices) {
          const name = `${m.name}/${d.name}`;
          const r = { fingerprint: d.fingerprint, group: g.id, groupName: g.name, name, root: m.root };
          out.set(keyOf(r), { ...r, dial: false });
        }
    }
    const mine = g.members.find((m) => m.devices.some((d) => d.fingerprint === self));
    if (g.role === 'member' && mine) {
      for (const d of g.devices) {
        if (d.fingerprint === self) continue;
        const r = {
          fingerprint: d.fingerprint,
          group: g.id,
          groupName: g.name,
          name: d.name,
          root: mine.root,
        };
        out.set(keyOf(r), { ...r, dial: true });
      }
    }
  }
  return out;
}

export class GroupExits {
  private readonly events = new Emitter<{ change: [] }>();
  private readonly exits = new Map<string, GroupExit>();
  private reach: Map<string, Reach>;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** The exits as last saved, so that a change that changed nothing is not written. */
  private saved = '';

  constructor(private readonly deps: GroupExitsDeps) {
    this.now = deps.now ?? Date.now;
    this.reach = reachOf(deps.view());
    const now = this.now();
    const loaded = deps.backing?.load() ?? [];
    for (const e of loaded)
      // Owed still, unless its access came back while this node was down (the owner invited it again).
      if (e.until > now && !this.reach.has(keyOf(e))) this.exits.set(keyOf(e), e);
    // As the file has them: what was left out above is written away by the first save.
    this.saved = JSON.stringify(loaded);
    this.expire();
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /**
   * Follows a change of the records: who lost access is owed the news from now on. Called by the
   * one who hears of the change before anyone reads the guests, so a device that lost its access is
   * never hung up on before it is owed the news.
   */
  follow(): void {
    const after = reachOf(this.deps.view());
    const now = this.now();
    for (const [key, r] of this.reach) {
      if (after.has(key) || (r.dial && !this.left(r))) continue;
      this.exits.delete(key);
      this.exits.set(key, { ...r, until: now + EXIT_TTL_MS, left: MAX_EXIT_EXCHANGES });
    }
    // Access back (invited again): a guest as any other.
    for (const key of after.keys()) this.exits.delete(key);
    while (this.exits.size > MAX_EXITS) this.exits.delete(this.exits.keys().next().value!);
    this.reach = after;
    this.expire();
  }

  /** The devices still owed the news now, one per device and group. */
  list(): GroupExit[] {
    const now = this.now();
    return [...this.exits.values()].filter((e) => e.until > now && e.left > 0);
  }

  /** The exits of `fingerprint`. */
  of(fingerprint: string): GroupExit[] {
    return this.list().filter((e) => e.fingerprint === fingerprint);
  }

  /**
   * The removals `fingerprint` was told of here (or given up telling it), while their time runs:
   * it comes to this device no more, so a knock of its is refused, not recorded as a pair request.
   */
  toldOf(fingerprint: string): GroupExit[] {
    const now = this.now();
    return [...this.exits.values()].filter(
      (e) => e.fingerprint === fingerprint && !e.dial && e.left === 0 && e.until > now,
    );
  }

  /**
   * What `fingerprint` is sent for its exits: of each group, the group's and owners' records, the
   * drops of devices, and its member's own records (its removal, its devices) — never another
   * member's, nor a device added since.
   */
  recordsFor(fingerprint: string): GroupRecord[] {
    const exits = this.of(fingerprint);
    if (exits.length === 0) return [];
    return this.deps.records().filter((r) =>
      exits.some((e) => {
        if (r.group !== e.group) return false;
        const slot = groupSlot(r.kind);
        if (slot === 'group' || slot === 'owner') return true;
        if (slot === 'device') return r.kind === 'device-drop';
        if (slot === 'member') return r.subject === e.root;
        return 'member' in r && r.member === e.root;
      }),
    );
  }

  /** One exchange with `fingerprint` carried its news: one fewer is left to it. */
  spend(fingerprint: string): void {
    let changed = false;
    for (const e of this.of(fingerprint)) {
      const left = e.left - 1;
      this.exits.set(keyOf(e), { ...e, left });
      changed ||= left === 0;
    }
    this.save();
    if (changed) this.events.emit('change');
  }

  /** `fingerprint` answered an exchange that carried its news, so it has it: nothing more is owed. */
  delivered(fingerprint: string): void {
    const had = this.of(fingerprint);
    for (const e of had) this.exits.set(keyOf(e), { ...e, left: 0 });
    this.save();
    if (had.length > 0) this.events.emit('change');
  }

  /**
   * Whether a member's device's person left `r`'s group itself (a `member-remove` one of this
   * person's devices signed): only then is the group's side owed the news by this side.
   */
  private left(r: Reach): boolean {
    const mine = this.deps.anchors().mine;
    return this.deps
      .records()
      .some(
        (x) => x.group === r.group && x.kind === 'member-remove' && x.subject === r.root && mine.has(x.by),
      );
  }

  /** Drops the exits whose time ran out, and wakes at the next one's. */
  private expire(): void {
    clearTimeout(this.timer);
    const now = this.now();
    let next = Infinity;
    let gone = false;
    for (const [key, e] of this.exits) {
      if (e.until <= now) {
        this.exits.delete(key);
        gone = true;
      } else next = Math.min(next, e.until);
    }
    if (next !== Infinity)
      this.timer = setTimeout(() => {
        this.expire();
        this.events.emit('change');
      }, next - now).unref();
    this.save();
    if (gone) this.events.emit('change');
  }

  private serialized(): string {
    return JSON.stringify([...this.exits.values()]);
  }

  /** Keeps the exits, when they changed since they were last kept. */
  private save(): void {
    const text = this.serialized();
    if (text === this.saved) return;
    this.saved = text;
    this.deps.backing?.save([...this.exits.values()]);
  }
}
