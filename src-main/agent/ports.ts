/**
 * The small interfaces the agent's parts declare instead of taking the whole Agent (architecture.md §Rules the code keeps,
 * docs/architecture.md §Rules). Each part names only what it uses, so it can be built and tested with a
 * few fakes, and no part imports agent.ts: only the composition (agent.ts, run-agent.ts) knows how the
 * parts fit together. Type-only: importing this module costs nothing at run time and makes no cycle.
 */
import type { Logger } from 'pino';
import type { NoticeEvent } from '../api/contract.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { Identity } from '../crypto/identity.js';
import type { MuxStream } from '../mux/stream.js';
import type { Circuit } from '../transport/circuit.js';
import type { PathKind } from '../transport/link.js';
import type { RelayClient } from '../transport/relay-client.js';
import type { PathRetrier } from './peer-connector.js';
import type { PeerLinks } from './peer-links.js';
import type { Approvals } from './approvals.js';
import type { ServiceRegistry } from './services.js';
import type { TrustStore } from './trust-store.js';
import type { PeerRecord, RelaySetting, Settings } from './settings.js';

/** One peer as the agent tracks it: its saved record, its links and the retriers that dial them. */
export interface PeerEntry {
  record: PeerRecord;
  /** Why the peer refused our hello (e.g. it has not approved us yet) and when, until it accepts one. */
  refusal?: { code: RefusalCode; message: string; at: number } | undefined;
  /** The peer's last hello announced no direct address: its direct listener is off. */
  directOffThere?: boolean | undefined;
  /** The direct addresses the peer's last hello announced, best first: where it listens. */
  announcedAddresses?: readonly string[] | undefined;
  /** The `features` of the peer's last hello: what it can do beyond protocol version 1. */
  features?: readonly string[] | undefined;
  links: PeerLinks;
  direct: PathRetrier;
  relay: PathRetrier;
}

/** Who this node is: the name it shows and the identity it proves. */
export interface NodeIdentityPort {
  readonly name: string;
  readonly identity: Identity;
}

export interface LoggerPort {
  readonly log: Logger;
}

/** How a part tells the user something changed (status, events) or went wrong (a one-line notice). */
export interface Notifier {
  changed(): void;
  /** `fields` go to the log with the notice. */
  notice(notice: NoticeEvent, fields?: object): void;
}

/** The peers the agent keeps links to (not the saved list: that is the TrustStore's). */
export interface PeerDirectory {
  peerEntries(): PeerEntry[];
  /** Starts (or refreshes) keeping links to a peer that was just saved. */
  trackPeer(record: PeerRecord): PeerEntry;
  /** Closes a peer's links with `reason` and stops dialing it. */
  untrackPeer(fingerprint: string, reason: string): void;
}

/** The relays this node uses. */
export interface RelayPort {
  relayClients(): RelayClient[];
  /** The relays saved in settings, first = the one invites and hellos name. */
  savedRelays(): readonly RelaySetting[];
  /**
   * The client for a relay this node may not be on (an invite's, a peer's home relay): started on
   * demand, not saved, dropped when idle (docs/relay-protocol.md §Home relays).
   */
  acquireRelay(url: string, fingerprint?: string, token?: string): RelayClient;
}

/** The active path to a peer: which one, its link's far end, and the mux streams go over. */
export type ActivePath = NonNullable<PeerEntry['links']['active']>;

/** Opening streams to peers over whichever path is up. */
export interface PeerStreams {
  /** @throws ClawError('PEER_OFFLINE') saying why, or 'STREAM_REJECTED' with the peer's reason. */
  openStream(
    entry: PeerEntry,
    service: string,
    args: unknown,
  ): Promise<{ stream: MuxStream; path: PathKind; remote: string }>;
  /** @throws ClawError('PEER_OFFLINE') saying why there is no path. */
  activePath(entry: PeerEntry): ActivePath;
}

/** Pairing on the LAN: whether joiners can reach us, what we announce, and finding an issuer. */
export interface LanPairingPort {
  lanPairingAvailable(): boolean;
  /** The direct listener's `HOST:PORT`, or null without one (--no-direct): for saying why not. */
  readonly listenAddress: string | null;
  /** The open codes changed: announce their tags (pairing.ts calls this). */
  lanTagsChanged(): void;
  findLanIssuer(tag: string): Promise<Circuit | undefined>;
}

/** Subscribing to the agent's change signal (a disposer comes back). */
export interface ChangeSource {
  onChanged(listener: () => void): () => void;
}

/** The node's settings, read only (the trust store and the forward manager are the writers). */
export interface SettingsReader {
  readonly settings: { get(): Settings };
}

/** Where services register what peers may open here (terminal, tcp-connect). */
export interface ServicePort {
  readonly services: Pick<ServiceRegistry, 'register'>;
}

/** What pairing (pairing.ts) uses of the rest of the agent. */
export interface PairingDeps {
  node: NodeIdentityPort;
  log: Logger;
  notifier: Notifier;
  /** Codes are listened for on every relay; a joiner reaches the relay its invite names on demand. */
  relays: RelayPort;
  lan: LanPairingPort;
  /** The issuer records a joiner that passed the PAKE as a request, and answers it on the decision. */
  approvals: Pick<Approvals, 'record' | 'onDecision' | 'withdraw'>;
  trust: TrustStore;
  /** The joiner starts linking to the issuer as soon as it approved. */
  peers: Pick<PeerDirectory, 'trackPeer'>;
}
