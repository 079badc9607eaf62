/**
 * Small interfaces shared by the agent's parts (architecture.md §Rules the code keeps): each part names
 * only what it uses, so it can be built and tested with a few fakes; only the composition root
 * (compose-agent.ts, run-agent.ts) knows how the parts fit together. Type-only: importing this module
 * costs nothing at run time and makes no cycle.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { DeepReadonly } from '../core/deep-readonly.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { Identity } from '../crypto/identity.js';
import type { MuxStream } from '../mux/stream.js';
import type { PathKind } from '../transport/link.js';
import type { PathRetrier } from './peer-connector.js';
import type { PeerLinks } from './peer-links.js';
import type { TraversalState } from './traversal.js';
import type { PeerRecord, Permission } from '../state/settings.js';

/** How one path to a peer is doing, as its retrier last saw it (peer-connector.ts): read-only here. */
export type PathAttemptView = DeepReadonly<
  Pick<PathRetrier, 'path' | 'lastError' | 'lastObserved' | 'lastRefusal' | 'lastErrorAt'>
>;

/** A peer's links as read from outside the links layer: which carries streams, and since when. */
export type PeerLinksView = Readonly<Pick<PeerLinks, 'active' | 'online' | 'rttMs' | 'since' | 'get'>>;

/**
 * One peer as the agent tracks it: its saved record, its links and how each path is doing. Read-only
 * all the way down to everyone but the links layer, which owns it (links/peer-entry.ts): what others
 * learn about a peer they tell the link set by name (PeerLinkSet.noteMarksMine, noteRtt), and its
 * record is changed through the node state's named writes, so each field has one writer.
 */
export interface ReadonlyPeerEntry {
  readonly fingerprint: string;
  /** The peer's saved record as the node state has it now (peer-entry.ts): never a copy to patch. */
  readonly record: PeerRecord;
  /** Why the peer refused our hello (e.g. it has not approved us yet) and when, until it accepts one. */
  readonly refusal?: Readonly<{ code: RefusalCode; message: string; at: number }> | undefined;
  /** The peer's last hello announced no direct address: its direct listener is off. */
  readonly directOffThere?: boolean | undefined;
  /** The direct addresses the peer's last hello announced, best first: where it listens. */
  readonly announcedAddresses?: readonly string[] | undefined;
  /** The `features` of the peer's last hello: what it can do beyond protocol version 1. */
  readonly features?: readonly string[] | undefined;
  /**
   * What the peer lets this node do there, as its last `grants` message said (docs/protocol.md
   * §Grants); null until one arrives this run. Runtime knowledge about the other node, never saved.
   */
  readonly theyAllow: readonly Permission[] | null;
  /**
   * Whether the peer marks this node as one of its owner's devices too, as its last `members`
   * exchange showed (pairing/introductions.ts); undefined until one was tried this run.
   */
  readonly theyMarkMine?: boolean | undefined;
  /** Direct across NATs: what the peer told of its candidates, why the pair stays relayed (traversal.ts). */
  readonly traversal?: DeepReadonly<TraversalState> | undefined;
  readonly links: PeerLinksView;
  readonly direct: PathAttemptView;
  readonly relay: PathAttemptView;
  /** The peer's saved route (docs/adr/0017-multi-hop-routes.md); finds nothing to try without one. */
  readonly route: PathAttemptView;
}

/** Who this node is: the name it shows and the identity it proves. */
export interface NodeIdentityPort {
  readonly name: string;
  readonly identity: Identity;
}

export interface LoggerPort {
  readonly log: Logger;
}

export type { Notifier } from '../state/notices.js';

/** The peers the agent keeps links to (the saved list is the node state's: node-state.ts). */
export interface PeerDirectory {
  peerEntries(): ReadonlyPeerEntry[];
  /**
   * This node's own name and fingerprint. It is never among its peers, so a command naming it (`term a`
   * typed on a) is told so rather than "no peer named 'a'".
   */
  self(): { name: string; fingerprint: string };
}

/** The active path to a peer: which one, its link's far end, and the mux streams go over. */
export type ActivePath = NonNullable<PeerLinksView['active']>;

export interface OpenStreamOptions {
  /**
   * The stream's first bytes come from this source: sent with the OPEN, before the peer answers, when
   * the peer takes early data (mux/early-data.ts); otherwise read after the answer as usual.
   */
  early?: Readable;
}

/** Opening streams to peers over whichever path is up. */
export interface PeerStreams {
  /** @throws ClawError('PEER_OFFLINE') saying why, or 'STREAM_REJECTED' with the peer's reason. */
  openStream(
    entry: ReadonlyPeerEntry,
    service: string,
    args: unknown,
    opts?: OpenStreamOptions,
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }>;
  /** @throws ClawError('PEER_OFFLINE') saying why there is no path. */
  activePath(entry: ReadonlyPeerEntry): ActivePath;
}

/** Subscribing to the agent's change signal (a disposer comes back). */
export interface ChangeSource {
  onChanged(listener: () => void): () => void;
}
