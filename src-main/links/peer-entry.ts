/**
 * A new PeerEntry: the peer's links and one retrier per path (architecture.md §Links and paths). The dialing itself stays with
 * the agent (which knows whether direct is on and which relays are up); this only ties each path's
 * retrier to its slot in PeerLinks, so a path is redialed exactly while it has no link.
 */
import type { TraversalState } from './traversal.js';
import type { Link } from '../transport/link.js';
import { PathRetrier } from './peer-connector.js';
import { PeerLinks } from './peer-links.js';
import type { ReadonlyPeerEntry } from './ports.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { PeerRecord, Permission } from '../state/settings.js';

/**
 * A peer's entry as the links layer holds it, the one writer of its fields: the hello, grants and
 * refusals it hears set them here, and what other layers learn arrives through PeerLinkSet's named
 * methods. Everyone else gets the ReadonlyPeerEntry (ports.ts) and cannot assign.
 */
export interface PeerEntry extends ReadonlyPeerEntry {
  refusal?: { code: RefusalCode; message: string; at: number } | undefined;
  directOffThere?: boolean | undefined;
  announcedAddresses?: readonly string[] | undefined;
  features?: readonly string[] | undefined;
  theyAllow: readonly Permission[] | null;
  theyMarkMine?: boolean | undefined;
  traversal?: TraversalState | undefined;
  readonly links: PeerLinks;
  readonly direct: PathRetrier;
  readonly relay: PathRetrier;
  readonly route: PathRetrier;
}

export interface PeerPaths {
  /** One attempt at each path to the entry's peer; undefined = nothing to try now. */
  dialDirect(entry: PeerEntry): Promise<Link | undefined>;
  dialRelay(entry: PeerEntry): Promise<Link | undefined>;
  /** The saved route (docs/adr/0017-multi-hop-routes.md); absent: there is never one to try. */
  dialRoute?(entry: PeerEntry): Promise<Link | undefined>;
  /** Puts a new link to work. */
  attach(link: Link): void;
  /**
   * An attempt failed (the retrier keeps the reason for the peer's state line); `repeated`: as the
   * attempt before it did.
   */
  onError(path: string, message: string, repeated: boolean): void;
  /**
   * False for a node that never dials this one back (a guest a domain says to dial, such as a
   * group's device on a member's): its relay path then keeps its backoff when the node is absent
   * instead of resting until the node comes back and dials. Absent: it rests.
   */
  readonly dialsBack?: boolean;
}

/**
 * `read` is the node state's record of the peer now: the entry keeps no copy of its own, so a check
 * made through `entry.record` sees the current permissions. Once the peer is removed (its links are
 * closing) the last record read stands in, so what tears its streams down can still name it.
 */
export function newPeerEntry(
  selfFingerprint: string,
  first: PeerRecord,
  read: () => PeerRecord | undefined,
  paths: PeerPaths,
): PeerEntry {
  let last = first;
  // A peer with a saved route is reached through it alone (docs/adr/0017-multi-hop-routes.md).
  const routed = () => (read() ?? last).route !== undefined;
  const links = new PeerLinks(selfFingerprint, first.fingerprint, routed);
  const retrier = (path: 'direct' | 'relay' | 'route', dial: (e: PeerEntry) => Promise<Link | undefined>) =>
    new PathRetrier(
      path,
      () => dial(entry),
      () => !!links.get(path),
      (l) => paths.attach(l),
      (p, message, repeated) => paths.onError(p, message, repeated),
      // The relays it tried say the peer is not connected to them: it is switched off or asleep, and
      // dials this node itself when it is back, so the path rests instead of asking every 30 s (ADR 0074).
      path === 'relay' && paths.dialsBack !== false
        ? (observed) => observed?.kind === 'not-on-relay'
        : undefined,
    );
  const entry: PeerEntry = {
    fingerprint: first.fingerprint,
    get record() {
      last = read() ?? last;
      return last;
    },
    theyAllow: null,
    links,
    direct: retrier('direct', (e) => paths.dialDirect(e)),
    relay: retrier('relay', (e) => paths.dialRelay(e)),
    route: retrier('route', (e) => paths.dialRoute?.(e) ?? Promise.resolve(undefined)),
  };
  return entry;
}
