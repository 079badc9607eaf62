/**
 * Who may link to this node (architecture.md §Pairing and approval): peers link, and guests (nodes a
 * domain lets in without a pairing: a member's devices on a group's devices, docs/adr/0092); other
 * nodes may only say hello and become pending (pending-links.ts); nodes the owner removed or rejected
 * are refused outright. Read from the node state and the guests at the moment a node knocks.
 */
import { abbreviateFingerprint } from '../core/fingerprint.js';
import type { Refusal } from '../core/refusal-codes.js';
import { Emitter, type Disposer } from '../core/emitter.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { PeerRecord, Permission } from '../state/settings.js';
import type { AskedWords, GuestChange, GuestDecision } from './guest-changes.js';

/** A refusal reason for `fingerprint`, or undefined to let the node in. */
export function admission(state: Pick<NodeStateReader, 'get' | 'peer' | 'isBlocked'>) {
  return (fingerprint: string): Refusal | undefined => {
    if (state.peer(fingerprint)) return undefined;
    if (!state.isBlocked(fingerprint)) return undefined;
    const name = state.get().name ?? 'clawbridge';
    return {
      code: 'REMOVED',
      reason: `node ${abbreviateFingerprint(fingerprint)} was removed by ${name}; to connect again, pair with a new code from its owner`,
    };
  };
}

/**
 * A node let in that is not a peer (a guest): a domain decided it may link here and do `allow`, for
 * the reasons `because` names (the groups that give it access), and no saved record says so. The
 * services layer names no domain: a domain adds a `GuestSource` (ServiceRegistry.admitGuests), and
 * the links, the registry and the admission read guests from the one `GuestList`.
 */
export interface Guest {
  readonly fingerprint: string;
  readonly name: string;
  /** What it may open here (the registry's check, as a peer's `allow`). */
  readonly allow: readonly Permission[];
  /** Why it is let in, for people (`group lab`). */
  readonly because: readonly string[];
  /** True: this node dials it; false: it only comes here (a member's device on a group's device). */
  readonly dial: boolean;
  /** Where it may be dialed directly (hints; the link proves who answers). */
  readonly addresses?: readonly string[];
  /** The relay where it may be met, when this node is on no relay it is on (a hint as `addresses`). */
  readonly homeRelay?: { readonly url: string; readonly fingerprint?: string };
  /**
   * The only services it may open here, whatever its words (absent: any its words allow): a node let
   * in for one exchange and nothing else, such as a removed member's device until it has the record
   * that removed it.
   */
  readonly services?: readonly string[];
}

/** The groups a guest's reasons name (`group lab` → `lab`), for people and the audit lines. */
export function guestGroups(guest: Pick<Guest, 'because'>): string[] {
  return guest.because.flatMap((b) => (b.startsWith('group ') ? [b.slice('group '.length)] : []));
}

/** Where a domain's guests come from: read at each check, followed for changes. */
export interface GuestSource {
  guests(): readonly Guest[];
  onChange(listener: () => void): Disposer;
  /**
   * Why `fingerprint`, neither a peer nor a guest, is refused here (absent or undefined: it is a
   * stranger, whose hello is a pair request): it lost its access through this source lately and
   * was told so, so a knock of its is news of nothing for the owner.
   */
  refusal?(fingerprint: string): string | undefined;
  /**
   * Where `change` of its guest `guest` is decided instead, and the command that applies (absent:
   * the refusal names none): a guest has no record here to change (guest-changes.ts).
   */
  decidedWhere?(guest: Guest, change: GuestChange, asked: AskedWords | undefined): GuestDecision;
}

/** What two sources of one guest let it open: the union, unrestricted when either is. */
function onlyServices(a: Guest, b: Guest): Pick<Guest, 'services'> {
  if (a.services === undefined || b.services === undefined) return {};
  return { services: [...new Set([...a.services, ...b.services])] };
}

/** The guests every source gives, a peer's own record always first (a paired node is no guest). */
export class GuestList {
  private readonly sources = new Set<GuestSource>();
  private readonly events = new Emitter<{ change: [] }>();
  private readonly since = new Map<string, string>();

  constructor(private readonly isPeer: (fingerprint: string) => boolean = () => false) {}

  /** Adds a source; the disposer takes it away (its guests leave). */
  add(source: GuestSource): Disposer {
    this.sources.add(source);
    const off = source.onChange(() => this.events.emit('change'));
    this.events.emit('change');
    return () => {
      off();
      if (this.sources.delete(source)) this.events.emit('change');
    };
  }

  /** Every guest now, once each (the union of the sources' words for one named twice). */
  list(): Guest[] {
    const out = new Map<string, Guest>();
    for (const s of this.sources) {
      for (const g of s.guests()) {
        if (this.isPeer(g.fingerprint)) continue;
        const had = out.get(g.fingerprint);
        // Restricted to some services only when every source restricts it.
        const { services: _only, ...rest } = had ?? g;
        out.set(
          g.fingerprint,
          had
            ? {
                ...rest,
                allow: [...new Set([...had.allow, ...g.allow])],
                because: [...new Set([...had.because, ...g.because])],
                dial: had.dial || g.dial,
                ...onlyServices(had, g),
              }
            : g,
        );
      }
    }
    return [...out.values()];
  }

  get(fingerprint: string): Guest | undefined {
    return this.list().find((g) => g.fingerprint === fingerprint);
  }

  /** The guest as a peer record, for the parts that read one (links, the registry's checks). */
  record(fingerprint: string): PeerRecord | undefined {
    const g = this.get(fingerprint);
    if (!g) {
      this.since.delete(fingerprint);
      return undefined;
    }
    let addedAt = this.since.get(fingerprint);
    if (addedAt === undefined) {
      addedAt = new Date().toISOString();
      this.since.set(fingerprint, addedAt);
    }
    return {
      fingerprint: g.fingerprint,
      name: g.name,
      allow: [...g.allow],
      addresses: (g.addresses ?? []).map((address) => ({ address, from: ['hello' as const] })),
      ...(g.homeRelay ? { homeRelay: { ...g.homeRelay } } : {}),
      addedAt,
    };
  }

  /**
   * Why the guest `fingerprint` may not open `service` here although its words would let it, or
   * undefined (it may, or it is no guest).
   */
  serviceRefused(fingerprint: string, service: string): string | undefined {
    const guest = this.get(fingerprint);
    const only = guest?.services;
    if (only === undefined || only.includes(service)) return undefined;
    return `its access here has ended (${guest!.because.join(', ')}); it may open only ${only.join(', ')}`;
  }

  /**
   * Where `change` of the guest `fingerprint` is decided, as the first source that lets it in says
   * (GuestSource.decidedWhere); undefined when it is no guest or its source says nothing.
   */
  decidedWhere(
    fingerprint: string,
    change: GuestChange,
    asked: AskedWords | undefined,
  ): GuestDecision | undefined {
    const guest = this.get(fingerprint);
    if (!guest) return undefined;
    for (const s of this.sources) {
      if (s.decidedWhere && s.guests().some((g) => g.fingerprint === fingerprint))
        return s.decidedWhere(guest, change, asked);
    }
    return undefined;
  }

  /** Why a source refuses `fingerprint` that is no guest (GuestSource.refusal), or undefined. */
  refusal(fingerprint: string): string | undefined {
    for (const s of this.sources) {
      const why = s.refusal?.(fingerprint);
      if (why !== undefined) return why;
    }
    return undefined;
  }

  onChange(listener: () => void): Disposer {
    return this.events.on('change', listener);
  }
}
