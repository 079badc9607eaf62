/**
 * The live links of one peer and which of them carries new streams (architecture.md §Links and paths): direct is preferred
 * whenever it is up; relay stays up beside it as a warm standby so a dead direct path falls back at once.
 */
import type { Link, PathKind } from '../transport/link.js';
import type { Mux } from '../mux/mux.js';

export interface PathEntry {
  link: Link;
  mux: Mux;
  since: Date;
  /**
   * The peer accepted our hello on this link, i.e. it trusts us too. Until then the link may be one the
   * peer only lets in to say hello (pending approval) or is about to refuse: it carries no streams and
   * does not make the peer "online".
   */
  confirmed?: boolean;
}

/**
 * A path's entry as PeerLinks hands it out, to the rest of the links layer too: PeerLinks alone sets
 * `confirmed` (confirm) and swaps entries (offer, remove), so whether a peer is online has one writer.
 */
export type ReadonlyPathEntry = Readonly<PathEntry>;

/**
 * When both sides dial at once there are two links for one path; both sides keep the one opened by the
 * node with the lower fingerprint, so they agree without talking about it.
 */
export function preferredInitiator(selfId: string, peerId: string): 'self' | 'peer' {
  return selfId < peerId ? 'self' : 'peer';
}

export class PeerLinks {
  private readonly paths = new Map<PathKind, PathEntry>();
  /** Last round-trip time measured on the active path, in ms. */
  rttMs: number | null = null;
  /** When the peer last went online or offline. */
  since: Date | null = null;

  /**
   * @param routeOnly true while this node reaches the peer only through its saved route
   *   (docs/adr/0017-multi-hop-routes.md): then only the route carries streams and makes it online; a
   *   direct or relay link the peer dialed stays up for the peer's own use.
   */
  constructor(
    readonly selfId: string,
    readonly peerId: string,
    private readonly routeOnly: () => boolean = () => false,
  ) {}

  get(path: PathKind): ReadonlyPathEntry | undefined {
    return this.paths.get(path);
  }

  /** The path new streams use: direct when up, else relay, else a route (only a route when routeOnly). */
  get active(): (ReadonlyPathEntry & { readonly path: PathKind }) | undefined {
    const order: readonly PathKind[] = this.routeOnly() ? ['route'] : ['direct', 'relay', 'route'];
    for (const path of order) {
      const entry = this.paths.get(path);
      if (entry?.confirmed) return { ...entry, path };
    }
    return undefined;
  }

  get online(): boolean {
    if (this.routeOnly()) return this.paths.get('route')?.confirmed === true;
    return [...this.paths.values()].some((e) => e.confirmed);
  }

  /** The peer accepted our hello on `link`; returns true when that changed anything. */
  confirm(link: Link): boolean {
    const entry = this.paths.get(link.path);
    if (entry?.link !== link || entry.confirmed) return false;
    const wasOnline = this.online;
    entry.confirmed = true;
    if (!wasOnline) this.since = new Date();
    return true;
  }

  /**
   * Decides whether a new link for `path` replaces the current one. Returns the entry to close (the
   * loser of a simultaneous dial), or undefined when nothing needs closing.
   */
  offer(path: PathKind, entry: PathEntry): { keep: boolean; close?: ReadonlyPathEntry } {
    const current = this.paths.get(path);
    if (current && !current.link.closed) {
      const want = preferredInitiator(this.selfId, this.peerId) === 'self';
      const newIsPreferred = entry.link.initiator === want;
      const currentIsPreferred = current.link.initiator === want;
      if (currentIsPreferred || !newIsPreferred) return { keep: false, close: entry };
      this.paths.set(path, entry);
      return { keep: true, close: current };
    }
    this.paths.set(path, entry);
    return { keep: true };
  }

  /** Forgets `link` if it is the current one for its path; returns true when it was. */
  remove(link: Link): boolean {
    const current = this.paths.get(link.path);
    if (current?.link !== link) return false;
    const wasOnline = this.online;
    this.paths.delete(link.path);
    if (wasOnline && !this.online) {
      this.since = new Date();
      this.rttMs = null;
    }
    return true;
  }

  closeAll(reason: string): void {
    for (const entry of [...this.paths.values()]) entry.mux.close(reason);
    this.paths.clear();
  }
}
