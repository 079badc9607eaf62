/**
 * What a domain is (docs/architecture.md §Adding a domain, ADR 0079): a folder that describes itself
 * once — its lifecycle parts, the services it registers, the API methods it answers, the events it
 * pushes, its streaming methods, its part of the status — and is built by the composition root from
 * one list (app/domains.ts), with what every node offers every domain (`DomainContext`). The root
 * knows the list, never a domain's names; a domain knows the node, never the root.
 *
 * Here, in the layer of the ports domains reach a peer through, because every domain sits above it.
 * Type-only apart from `domainKey`: importing it costs nothing at run time.
 */
import type { Logger } from 'pino';
import type {
  ApiEvents,
  MethodName,
  MethodParams,
  MethodResults,
  StatusEvent,
  StatusResult,
} from '../api/contract.js';
import type { InboxMessage, MessageStatesEvent, OutboxMessage } from '../api/contract-messages.js';
import type { ReceivedInfo, TransferInfo } from '../api/contract-files.js';
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { Disposer } from '../core/emitter.js';
import type { LifecyclePart } from '../core/lifecycle.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { ServiceRegistry } from '../services/services.js';
import type { NodeState } from '../state/node-state.js';
import type { Notices } from '../state/notices.js';
import type { Circuit } from '../transport/circuit.js';
import type { ChangeSource, PeerDirectory, ReadonlyPeerEntry, PeerStreams } from './ports.js';

/**
 * The one peer port every domain is given (built once by the composition root): who the peers are,
 * streams to them, the change signal. Each domain's own port is a `Pick` of it.
 */
export type DomainPeers = PeerDirectory &
  PeerStreams &
  ChangeSource & {
    peerEntry(fingerprint: string): ReadonlyPeerEntry | undefined;
    /** Says the node changed (status events follow). */
    changed(): void;
    /** A circuit that came through a route (its last hop): it becomes the peer's link. */
    acceptRoutedCircuit(circuit: Circuit): Promise<void>;
  };

/**
 * A typed name under which one domain provides something another one uses (forwards: the running
 * forward manager, which shares are saved in). Exported by the domain that owns the type, so only
 * domains above it in the layer order can name it.
 */
export interface DomainKey<T> {
  readonly name: string;
  /** Never set: carries T. */
  readonly type?: T;
}

export function domainKey<T>(name: string): DomainKey<T> {
  return { name };
}

/** What the node offers every domain. Everything here exists before any domain is created. */
export interface DomainContext {
  /** The node's home folder (a domain keeps its files in a folder of its own there). */
  readonly home: string;
  readonly identity: { readonly fingerprint: string };
  /** This node's name as the settings give it now. */
  name(): string;
  readonly log: Logger;
  readonly state: NodeState;
  readonly notices: Notices;
  /** Where audit events go; none recorded when absent. */
  readonly audit: AuditSink | undefined;
  /** Where a domain registers the services peers open here. */
  readonly services: ServiceRegistry;
  readonly peers: DomainPeers;
  /** Where what this node opens on its peers is listed, and ended when its peer is removed here. */
  readonly connections: ConnectionsOpened;
  /**
   * True once the node is stopping: a domain's methods then answer that it is not running, and its
   * events stop being followed.
   */
  stopping(): boolean;
  /**
   * How the process keeps the terminal sessions served here (run-agent.ts `sessionHost`): in a
   * detached session host (default), or in the agent (false).
   */
  readonly sessionHost?: boolean | { startHost: () => void } | undefined;
  /** Provides `value` under `key` to the domains created after this one (and to their methods). */
  provide<T>(key: DomainKey<T>, value: T): void;
  /** What a domain earlier in the list provided under `key`, or undefined when none did. */
  use<T>(key: DomainKey<T>): T | undefined;
}

/** API methods a domain answers, by name: each one's params are already validated by the transport. */
export type MethodHandlers = {
  [M in MethodName]?: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

/**
 * The events a domain pushes (api/contract.ts ApiEvents), as sources the API's event hub follows
 * while some client listens; each returns a disposer.
 */
export interface DomainEvents {
  terminal?: (listener: (e: ApiEvents['terminal']) => void) => Disposer;
  message?: (listener: (m: InboxMessage) => void) => Disposer;
  /** Followed only while some client takes per-message states. */
  'message.state'?: (listener: (m: OutboxMessage) => void) => Disposer;
  /** Followed only while some client takes them batched (ADR 0059). */
  'message.states'?: (listener: (e: MessageStatesEvent) => void) => Disposer;
  'file.transfer'?: (listener: (t: TransferInfo) => void) => Disposer;
  'file.received'?: (listener: (r: ReceivedInfo) => void) => Disposer;
  /** Something the status shows moved (counters, a session's state): a status event follows. */
  activity?: (listener: () => void) => Disposer;
  /** Counters move without a change signal: status events keep coming while this is true. */
  busy?: () => boolean;
}

/** What a domain adds to the status. */
export interface DomainStatus {
  /** The `status` event's lists it owns (forwards, proxies). */
  snapshot?: () => Partial<Pick<StatusEvent, 'forwards' | 'proxies'>>;
  /** Fields only the `status` call carries (ports listened on for peers). */
  call?: () => Partial<Pick<StatusResult, 'listeningForPeers'>>;
}

/** A domain once created: its parts in the node's order, and what the API takes from it. */
export interface DomainInstance {
  /**
   * Its parts in the agent's lifecycle (core/lifecycle.ts): `beforeNode` start before the node (its
   * links) starts and stop after it stopped (stores a peer's first stream writes to); `afterNode`
   * start once the node runs and stop before it stops (what dials peers or listens for them).
   */
  readonly parts?: {
    readonly beforeNode?: readonly LifecyclePart[];
    readonly afterNode?: readonly LifecyclePart[];
  };
  /** The API methods it answers; a method no domain in the list answers says so when called. */
  readonly handlers?: MethodHandlers;
  /** Its streaming methods (stream-upgrade.ts), on every transport. */
  readonly upgrades?: StreamUpgradeHandlers;
  readonly events?: DomainEvents;
  readonly status?: DomainStatus;
}

/**
 * One domain, as app/domains.ts lists it. `create` runs before anything starts, in the list's order:
 * the services it registers are there before a peer's first stream.
 */
export interface DomainDescription {
  readonly name: string;
  create(ctx: DomainContext): DomainInstance | Promise<DomainInstance>;
}
