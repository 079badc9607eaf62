/**
 * What a domain is (docs/architecture.md §Adding a domain, ADR 0079, ADR 0085): a folder that
 * describes itself once — its part of the API contract (methods, events, permission words: its
 * `contract` piece), its lifecycle parts, the services it registers, the API methods it answers, the
 * events it pushes, its streaming methods, its part of the status — and is built by the composition
 * root from one list (app/domains.ts), with the narrow host every domain is given (`DomainContext`).
 * The root knows the list, never a domain's names; a domain knows the node, never the root.
 *
 * Here, in the layer of the ports domains reach a peer through, because every domain sits above it.
 * Type-only apart from `domainKey`: importing it costs nothing at run time.
 */
import type { Logger } from 'pino';
import type {
  ApiEvents,
  DomainStatusLists,
  MethodName,
  MethodParams,
  MethodResults,
  NodeEvents,
  StatusResult,
} from '../api/contract.js';
import type { ContractPiece, DomainRunOptions } from '../api/contract-piece.js';
import type { StreamUpgradeHandlers } from '../api/stream-upgrade.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { Disposer } from '../core/emitter.js';
import type { Identity } from '../crypto/identity.js';
import type { LifecyclePart } from '../core/lifecycle.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { ServiceRegistry } from '../services/services.js';
import type { NodeStateReader } from '../state/node-state.js';
import type { SectionKey, SettingsSlice } from '../state/settings-sections.js';
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
    /** Where a peer's relay path meets it: the home relay its hello announced, else the one saved. */
    homeRelay(fingerprint: string): { readonly url: string; readonly fingerprint?: string } | undefined;
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

/**
 * What a domain may read of the node's state. Not the whole NodeState: a domain neither writes the
 * node's options, peers or relays nor reaches the settings file; what it writes is the section its
 * description names, through its context's `settings` (ADR 0091).
 */
export type DomainState = Pick<NodeStateReader, 'get' | 'peers' | 'peer' | 'subscribe'>;

/**
 * What a domain is given of the run options (api/contract-piece.ts `DomainRunOptions`, which each
 * domain's contract file extends): its own entry, under its name, when the process set one.
 */
export type DomainOptions = { readonly [N in keyof DomainRunOptions]?: DomainRunOptions[N] };

/** The notices a domain gives (a one-line problem, "something changed") and the change signal it follows. */
export type DomainNotices = Pick<Notices, 'changed' | 'notice' | 'onChanged'>;

/**
 * Where a domain registers the services peers open here, gets the opener of those it opens on its
 * peers, and lets in nodes that are no peers (`admitGuests`: a member's devices on a group's devices);
 * not the registry's dispatch and stop, which are the links' and the node's.
 */
export type DomainServices = Pick<ServiceRegistry, 'register' | 'opener' | 'admitGuests'>;

/**
 * A one-time code's two ends once its PAKE succeeded (the code met, pairing/): who is at the other end,
 * as the code proved, and the circuit between them, for what a domain runs after the PAKE in place of
 * a pairing request (the groups' invitations). Everything sent on it is the domain's to seal.
 */
export interface MetCode {
  /** The other node as the PAKE confirmed it: its certificate, fingerprint and announced name. */
  readonly peer: { readonly fingerprint: string; readonly name: string; readonly certDer: Uint8Array };
  /** 32 bytes both ends derived from the PAKE's key, and nobody else has. */
  readonly sessionKey: Uint8Array;
  /** How the two met: `relay <url>`, `lan`, or the joiner's address. */
  readonly via: string;
  send(frame: Uint8Array): void;
  /** The next frame from the other end, or a ClawError('TIMEOUT' | 'LINK_CLOSED'). */
  next(timeoutMs: number, what: string): Promise<Uint8Array>;
  close(reason: string): void;
}

/** What `DomainCodes.issue` answers: the code to read aloud, its invite link, when it expires. */
export interface IssuedCodeInfo {
  code: string;
  invite: string;
  expiresAt: string;
}

/** How a domain's code is issued. */
export interface IssueOptions {
  /** This code again (kept by the domain from before a restart), instead of a new one. */
  again?: string;
  /**
   * Called at once when a node tries the code, before the PAKE, right or wrong: from then on it is
   * used up, so a domain that keeps its codes across restarts records it before anything follows.
   */
  onSpent?: () => void;
  /**
   * Called when the PAKE with the code failed (a wrong code, an aborted or timed-out exchange): the
   * code was used up by that try (onSpent came first), and no `onMet` follows.
   */
  onFailed?: (why: string) => void;
  /**
   * What the code is for: the word of the `clawbridge USE join` command that takes it (`group`). A
   * joiner's hello names its use, and a code is met only by its own, so a code typed into another
   * command is refused before it is spent (protocol/pairing-wire.ts).
   */
  use: string;
}

/**
 * One-time codes a domain issues and meets over pairing's rendezvous (relays and the LAN), with
 * pairing's PAKE, and then speaks its own protocol on: the code and its single use, TTL and rate
 * limits are pairing's; what follows the PAKE is the domain's.
 */
export interface DomainCodes {
  /**
   * A new code, open for `ttlMs`: the first node that meets it (one try: a wrong code burns it too)
   * is handed to `onMet` once the PAKE succeeded; the circuit closes when `onMet` settles.
   */
  issue(ttlMs: number, onMet: (met: MetCode) => Promise<void>, opts: IssueOptions): Promise<IssuedCodeInfo>;
  /** Retires an open code `issue` made; false when it is no longer open (used, expired, retired). */
  retire(code: string): boolean;
  /**
   * Finds the issuer of a code or invite made for `use` (IssueOptions.use) and runs the PAKE with it;
   * the caller closes what it gets. A code made for another use is refused before it is spent.
   */
  meet(codeOrInvite: string, use: string): Promise<MetCode>;
}

/**
 * What the node offers every domain, and all a domain sees of it (a narrow host, as Tailscale's
 * features get): what it may read, the services it registers, the one peer port. Everything here
 * exists before any domain is created. What it may write is the settings section its description
 * names (`S`): only that domain's context has `settings` (ADR 0091).
 */
export type DomainContext<S extends SectionKey = never> = DomainContextCommon &
  ([S] extends [never] ? unknown : { readonly settings: SettingsSlice<S> });

/** What every domain's context has. */
export interface DomainContextCommon {
  /** The node's home folder (a domain keeps its files in a folder of its own there). */
  readonly home: string;
  /**
   * This node's identity: its fingerprint, and its key where a domain signs records with it (groups:
   * decisions its members' devices check); absent in hosts that sign nothing.
   */
  readonly identity: { readonly fingerprint: string } & Partial<Pick<Identity, 'keyPem' | 'certDer'>>;
  /** This node's name as the settings give it now. */
  name(): string;
  readonly log: Logger;
  readonly state: DomainState;
  readonly notices: DomainNotices;
  /** Where audit events go; none recorded when absent. */
  readonly audit: AuditSink | undefined;
  /** Where a domain registers the services peers open here. */
  readonly services: DomainServices;
  readonly peers: DomainPeers;
  /** One-time codes met with pairing's PAKE, for a domain's own protocol after it. */
  readonly codes: DomainCodes;
  /** Where what this node opens on its peers is listed, and ended when its peer is removed here. */
  readonly connections: ConnectionsOpened;
  /**
   * Where this node's direct listener may be dialed, best first, as its hellos name them (none when
   * direct links are off here); absent in hosts with no listener.
   */
  readonly directAddresses?: () => readonly string[];
  /**
   * True once the node is stopping: a domain's methods then answer that it is not running, and its
   * events stop being followed.
   */
  stopping(): boolean;
  /** The options the process gave this domain (run-agent.ts `domainOptions`), under its name. */
  readonly options: DomainOptions;
  /** Provides `value` under `key` to the domains created after this one (and to their methods). */
  provide<T>(key: DomainKey<T>, value: T): void;
  /** What a domain earlier in the list provided under `key`, or undefined when none did. */
  use<T>(key: DomainKey<T>): T | undefined;
}

/** API methods a domain answers, by name: each one's params are already validated by the transport. */
export type MethodHandlers = {
  [M in MethodName]?: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

/** The events the domains bring (their contract files add them to ApiEvents): every one but the node's. */
export type DomainEventName = Exclude<keyof ApiEvents, keyof NodeEvents>;

/** One event's source: the event hub follows it while some client takes the event; it returns a disposer. */
export type EventSource<T> = (listener: (data: T) => void) => Disposer;

/**
 * The events a domain pushes (those its contract file adds to ApiEvents), as sources the API's event
 * hub follows while some client listens; how each is followed, its contract piece's `events` says.
 */
export type DomainEventSources = { [E in DomainEventName]?: EventSource<ApiEvents[E]> };

/** Its events, and what moves the status. */
export type DomainEvents = DomainEventSources & {
  /** Something the status shows moved (counters, a session's state): a status event follows. */
  activity?: EventSource<void>;
  /** Counters move without a change signal: status events keep coming while this is true. */
  busy?: () => boolean;
};

/** What a domain adds to the status. */
export interface DomainStatus {
  /** The `status` event's lists it owns (its contract file adds them to DomainStatusLists). */
  snapshot?: () => Partial<DomainStatusLists>;
  /** Fields only the `status` call carries (its contract file adds them to StatusResult). */
  call?: () => Partial<StatusResult>;
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
 * the services it registers are there before a peer's first stream. `S`: the settings section it
 * owns, if any.
 */
export interface DomainDescription<S extends SectionKey = never> {
  readonly name: string;
  /**
   * The settings section it owns and alone writes (a key its contract file adds to
   * `DomainSettings`): its context's `settings` is the slice of it (ADR 0091).
   */
  readonly settings?: S;
  /** Its folder under src-main/: lint and the architecture tests find the domains' folders here. */
  readonly folder: string;
  /**
   * The folders of the domains whose modules it imports (share rides on forwards' reverse forwards):
   * its layer sits above theirs (scripts/layers.mjs; scripts/domain-folders.mjs reads this from the
   * file's text, so it is written as a list of quoted folders), and they are the only domains it may
   * name (domain-names.test.ts).
   */
  readonly builtOn?: readonly string[];
  /**
   * Its feature of the window: a folder under src-renderer/features/ whose `<window>-feature.ts`
   * exports `<window>Feature` (`terminals` → `terminalsFeature`). The window's build lists it
   * (scripts/domain-features.ts, which reads this from the file's text, so it is one quoted folder;
   * ADR 0111); nothing at run time reads it.
   */
  readonly window?: string;
  /**
   * Its part of the API contract (its `<folder>/<name>-contract.ts`): methods and their schemas,
   * permission words, how its events are followed. Pure, so a client reads it without the domain.
   */
  readonly contract: ContractPiece;
  create(ctx: DomainContext<S>): DomainInstance | Promise<DomainInstance>;
}

/** A description in the list, whatever section it owns (app/domains.ts). */
export type ListedDomain = DomainDescription<SectionKey>;
