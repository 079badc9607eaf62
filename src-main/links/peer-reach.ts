/**
 * How a peer is reached, as the link set answers it: where it is dialed directly (what the owner saved
 * with what this node observed), where its relay path meets it, the path new streams to it use, and
 * streams opened there. It reads the node state and the observations at the moment it is asked, so a
 * peer's record edited a moment ago is what it answers by.
 */
import { FEATURE_EARLY_DATA } from '../mux/early-data.js';
import type { MuxStream } from '../mux/stream.js';
import type { Relays } from '../relay-clients/relays.js';
import type { KnownAddress } from '../state/address-book.js';
import type { NodeState } from '../state/node-state.js';
import { dialBook, effectiveHomeRelay, type Observations } from '../state/observations.js';
import type { RelaySetting } from '../state/settings.js';
import type { PathKind } from '../transport/link.js';
import { openOnNextPath } from './open-on-next-path.js';
import { notOnlineError } from './peer-state.js';
import { addressOf, peerStateView, refusedSince, type PeerStateSource } from './peer-view.js';
import type { ActivePath, OpenStreamOptions, ReadonlyPeerEntry } from './ports.js';
import { routeOfflineError } from './route-links.js';

export interface PeerReachDeps {
  state: Pick<NodeState, 'get' | 'peer'>;
  observations: Observations;
  relays: Pick<Relays, 'dialer'>;
  /** A peer's name by its fingerprint, while it has an entry here. */
  peerName(fingerprint: string): string | undefined;
}

export class PeerReach {
  constructor(private readonly deps: PeerReachDeps) {}

  /**
   * Opens a stream to a peer's service on its active path (direct when up).
   * @throws ClawError('PEER_OFFLINE') with why, or 'STREAM_REJECTED' with the peer's reason.
   */
  async openStream(
    entry: ReadonlyPeerEntry,
    service: string,
    args: unknown,
    opts: OpenStreamOptions = {},
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }> {
    // An older peer would take DATA before its ACCEPT as a violation and close the link.
    const early = entry.features?.includes(FEATURE_EARLY_DATA) ? opts.early : undefined;
    // A path that dies before the peer answers: once more on the next one (a terminal opened while a
    // frozen direct path is being judged dead comes up over the relay).
    const { value: stream, path: active } = await openOnNextPath({
      active: () => this.activePath(entry),
      current: () => entry.links.active,
      open: (path) => path.mux.open(service, args, early ? { early } : {}),
      early: early !== undefined,
    });
    // A link the peer dialed has an ephemeral far end: name the address it listens on, as `peers` does.
    return { stream, path: active.path, remote: addressOf(entry).address ?? active.link.remote };
  }

  /** The path new streams to `entry` use. @throws ClawError('PEER_OFFLINE') saying why there is none. */
  activePath(entry: ReadonlyPeerEntry): ActivePath {
    const active = entry.links.active;
    if (!active && entry.record.route && !refusedSince(entry)) {
      throw routeOfflineError(entry, (fp) => this.deps.peerName(fp));
    }
    if (!active) throw notOnlineError(entry.record.name, peerStateView(this.stateSource(), entry));
    return active;
  }

  /** Where a peer is dialed directly: what the owner saved with what this node observed. */
  addressBook(fingerprint: string): KnownAddress[] {
    const saved = this.deps.state.peer(fingerprint)?.addresses ?? [];
    return dialBook(saved, this.deps.observations.addresses(fingerprint));
  }

  /** Where a peer's relay path meets it: the home relay its hello announced, else the one the owner gave. */
  homeRelay(fingerprint: string): RelaySetting | undefined {
    return effectiveHomeRelay(
      this.deps.state.peer(fingerprint)?.homeRelay,
      this.deps.observations.homeRelay(fingerprint),
    );
  }

  /** What peer-state.ts judges a peer's reachability by. */
  stateSource(): PeerStateSource {
    return {
      peerName: (fp) => this.deps.peerName(fp),
      addressBook: (fp) => this.addressBook(fp),
      homeRelay: (fp) => this.homeRelay(fp),
      relayClients: () => this.deps.relays.dialer.list(),
      settings: { get: () => this.deps.state.get() },
    };
  }
}
