/**
 * Who the groups let in that is no peer (docs/adr/0092-groups-reach-and-admission.md), as a guest
 * source for the registry's hook (services/admission.ts GuestSource): the services layer names no
 * domain, and the links, the registry's checks and its ending of streams read these guests as they
 * read peers.
 *
 * - On one of a group's devices: every device of every member (named `MEMBER/DEVICE`), allowed exactly the group's words
 *   (groups/group-view.ts groupAccessOf, the union over the groups that give it access) that this node
 *   knows; not dialed from here (a member's device comes to the group's device).
 * - On a member's device: every device of each group it is a device of a member in, allowed nothing
 *   here, and dialed (at the addresses the group's devices told, and on the relays).
 *
 * - A device that lost its access (group-exits.ts): let in for the `groups` exchange alone until it
 *   has the record that took the access away, allowed nothing; on a member's device that left, the
 *   group's devices, dialed for that exchange alone. Once told, its knock is refused as a removal
 *   (`refusal`) for the rest of the exit's time, instead of becoming a pair request.
 *
 * A group's device lets members in only once its records are fresh: after an exchange with one of
 * its person's other devices this run, or FRESH_WAIT_MS after it started with none reached (or at
 * once when it has no other device). So a device that was offline when a member was removed refuses
 * that member when it comes back, instead of admitting it until the removal arrives.
 */
import type { Disposer } from '../core/emitter.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { Emitter } from '../core/emitter.js';
import type { Guest, GuestSource } from '../services/admission.js';
import type { AskedWords, GuestChange, GuestDecision } from '../services/guest-changes.js';
import { groupGuestDecision } from './guest-refusals.js';
import type { Permission } from '../state/settings.js';
import { groupAccessOf } from './group-view.js';
import type { GroupStore } from './group-book.js';
import type { GroupExits } from './group-exits.js';
import { GROUPS_SERVICE } from './group-lines.js';

/** How long a group's device waits at start for fresh records before it lets members in, in ms. */
export const FRESH_WAIT_MS = 30_000;

export interface GroupGuestsDeps {
  book: GroupStore;
  /** The devices owed the news of their removal; followed here, on each change of the records. */
  exits: Pick<GroupExits, 'follow' | 'list' | 'toldOf' | 'onChange'>;
  /** True for a permission word this node knows: the group's other words grant nothing here. */
  knows(word: string): word is Permission;
  /** Where the group's device may be dialed, as the group's devices told this node. */
  hints(fingerprint: string): readonly string[];
  /** The group device's home relay, as the group's devices told this node. */
  homeRelay?(fingerprint: string): { url: string; fingerprint?: string } | undefined;
  /** Something the hints say changed. */
  onHints(listener: () => void): Disposer;
  /** An exchange with `fingerprint` ended with its records applied. */
  onExchanged(listener: (fingerprint: string) => void): Disposer;
}

export class GroupGuests implements GuestSource {
  private readonly events = new Emitter<{ change: [] }>();
  private fresh: boolean;
  private readonly disposers: Disposer[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: GroupGuestsDeps) {
    // With no other device of this person, nothing fresher can come.
    this.fresh = deps.book.anchors().mine.size <= 1;
  }

  start(): void {
    this.disposers.push(
      this.deps.book.onChange(() => {
        // First: a device that just lost its access stays let in for the news, not hung up on.
        this.deps.exits.follow();
        this.events.emit('change');
      }),
      this.deps.exits.onChange(() => this.events.emit('change')),
      this.deps.onHints(() => this.events.emit('change')),
      this.deps.onExchanged((fp) => {
        if (!this.fresh && this.deps.book.anchors().mine.has(fp)) this.becomeFresh();
      }),
    );
    if (!this.fresh) this.timer = setTimeout(() => this.becomeFresh(), FRESH_WAIT_MS).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const d of this.disposers.splice(0)) d();
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }

  guests(): readonly Guest[] {
    const view = this.deps.book.view();
    const self = view.self;
    const out = new Map<string, Guest>();
    for (const g of view.groups) {
      if (g.deleted) continue;
      if (g.role === 'owner' && this.fresh && g.devices.some((d) => d.fingerprint === self)) {
        for (const m of g.members) {
          for (const d of m.devices) {
            if (out.has(d.fingerprint)) continue;
            const access = groupAccessOf(view, d.fingerprint);
            const allow = access.allow.filter((w): w is Permission => this.deps.knows(w));
            const because = access.groups.map((name) => `group ${name}`);
            // Under its member's name: a name a member chose never stands for one of this node's peers.
            const name = `${m.name}/${d.name}`;
            out.set(d.fingerprint, { fingerprint: d.fingerprint, name, allow, because, dial: false });
          }
        }
      }
      const amMember = g.members.some((m) => m.devices.some((d) => d.fingerprint === self));
      if (g.role === 'member' && amMember) {
        for (const d of g.devices) {
          if (d.fingerprint === self || out.has(d.fingerprint)) continue;
          out.set(d.fingerprint, {
            fingerprint: d.fingerprint,
            name: d.name,
            allow: [],
            because: [`group ${g.name}`],
            dial: true,
            ...this.whereToDial(d.fingerprint),
          });
        }
      }
    }
    for (const e of this.deps.exits.list()) {
      if (out.has(e.fingerprint)) continue;
      out.set(e.fingerprint, {
        fingerprint: e.fingerprint,
        name: e.name,
        allow: [],
        because: [`${e.dial ? 'left' : 'removed from'} group ${e.groupName}`],
        dial: e.dial,
        services: [GROUPS_SERVICE],
        ...(e.dial ? this.whereToDial(e.fingerprint) : {}),
      });
    }
    return [...out.values()];
  }

  /** Where a change of a guest of the groups is decided: its group (guest-refusals.ts). */
  decidedWhere(guest: Guest, change: GuestChange, asked: AskedWords | undefined): GuestDecision {
    return groupGuestDecision(guest, change, asked);
  }

  /** A removed member's device that was told so: its knock is refused, not a pair request. */
  refusal(fingerprint: string): string | undefined {
    const told = this.deps.exits.toldOf(fingerprint);
    if (told.length === 0) return undefined;
    const groups = [...new Set(told.map((e) => e.groupName))].join(', ');
    return `node ${abbreviateFingerprint(fingerprint)} was removed from group ${groups}; to connect again, join with a new invitation from its owner`;
  }

  /** The addresses and home relay the group's devices told for one of them. */
  private whereToDial(fingerprint: string): Pick<Guest, 'addresses' | 'homeRelay'> {
    const addresses = this.deps.hints(fingerprint);
    const homeRelay = this.deps.homeRelay?.(fingerprint);
    return { ...(addresses.length > 0 ? { addresses } : {}), ...(homeRelay ? { homeRelay } : {}) };
  }

  private becomeFresh(): void {
    if (this.fresh) return;
    this.fresh = true;
    clearTimeout(this.timer);
    this.events.emit('change');
  }
}
