/**
 * Result and event types of the API contract that contract.ts re-exports (kept apart so contract.ts
 * stays one screen of methods). Types only: the renderer imports them with `import type`.
 */
import type { Permission } from '../core/permissions.js';
import type { PendingInfo } from './contract-pairing.js';
import type { StatusResult } from './contract-node.js';

export interface RelaySettingInfo {
  url: string;
  /** The pinned SHA-256 of the relay's certificate (64 hex), or null (ws://, or trusted by a CA). */
  fingerprint: string | null;
  /** An access token is saved for this relay (the token itself never leaves the agent). */
  hasToken: boolean;
  connected: boolean;
  /** One line explaining why it is not connected, when it is not. */
  error?: string;
}

/**
 * The node's settings as `settings.get` answers them; the settings a domain brings (its piece's
 * `settings` options, ADR 0093) are added by its contract file with `declare module`.
 */
export interface SettingsResult {
  name: string;
  fingerprint: string;
  relays: RelaySettingInfo[];
  actAsRelay: boolean;
  /** Where this node's own relay listens when actAsRelay is on. */
  relayListen: string;
  /** The saved direct listener `HOST:PORT`, or null when direct links are off. */
  listen: string | null;
  /** Where the direct listener is bound right now (may differ: a busy port falls back), or null. */
  listeningOn: string | null;
  /** Desktop notifications (a device asks to pair, pairing done, a forward cannot listen). */
  notifications: boolean;
  /** Peers allowed `listen` may have this node listen on non-loopback addresses (reverse forwards). */
  allowRemoteReverseListen: boolean;
  /**
   * Ask the LAN's router (UPnP, NAT-PMP) to map the direct listener's port; read when the agent starts.
   * Absent from older agents.
   */
  portMapping?: boolean;
  /** What a device introduced by another of the owner's devices may do here (ADR 0056). */
  mineAllow: Permission[];
}

export interface SettingsSetResult extends SettingsResult {
  /** Some change is saved but takes effect only when the agent restarts. */
  restartNeeded: boolean;
  /** Which settings wait for the restart (`listen`, `actAsRelay`, `relayListen`, `portMapping`). */
  restartFor: string[];
}

export interface RelayProbeResult {
  url: string;
  /** SHA-256 of the relay's TLS certificate (64 lowercase hex), or null for ws:// or when unreachable. */
  fingerprint: string | null;
  /** A certificate authority this machine trusts vouches for the relay's certificate and host name. */
  caTrusted: boolean;
  /**
   * One line: why the relay could not be reached (fingerprint null), or why no CA vouches for its
   * certificate (fingerprint set, e.g. `not vouched for by a CA: DEPTH_ZERO_SELF_SIGNED_CERT`).
   */
  error?: string;
}

/**
 * The lists the domains add to the `status` event (their DomainStatus.snapshot): empty here, filled by
 * their contract files with `declare module`. A `changed` event names each one that differs.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface DomainStatusLists {}

export interface StatusEvent extends DomainStatusLists {
  /**
   * The agent's state version: each `status` event has a higher one than the last (a restarted agent
   * starts over at 1). A client orders what it reads against what was pushed with it: a read sent after
   * it saw `seq` is at least that new (docs/api.md §Events).
   */
  seq: number;
  status: StatusResult;
  pending: PendingInfo[];
}

/**
 * What a `changed` event says changed: `peers`, `pending`, `relays` and the domains' lists
 * (DomainStatusLists) are in the `status` event that follows it; `settings` (settings.get) is not, and
 * is read.
 */
export type ChangeDomain =
  'peers' | 'pending' | 'relays' | 'settings' | Extract<keyof DomainStatusLists, string>;

export interface ChangedEvent {
  /** The `seq` of the `status` event that follows at once, built from the same state. */
  seq: number;
  /** What differs from the last `status` event; never empty. */
  domains: ChangeDomain[];
}

/**
 * One step of a pairing. Joiner (`role: 'join'`): finding → checking → waiting (both fingerprints
 * known) → paired | rejected | failed. Issuer (`role: 'new'`): joined (a node proved the code: its name
 * and fingerprint; it is now a pending request) → paired | rejected | failed.
 */
export type PairingStep = 'finding' | 'checking' | 'waiting' | 'paired' | 'rejected' | 'failed' | 'joined';

export interface PairingEvent {
  role: 'join' | 'new';
  /** The code (issuer side; the joiner's too, as typed): tells concurrent pairings apart. */
  code?: string;
  step: PairingStep;
  /** The other node's name, once known. */
  peerName?: string;
  /** The other node's fingerprint, once known (from `waiting` / `joined` on). */
  fingerprint?: string;
  /** This node's own fingerprint, to compare side by side with the other screen. */
  ownFingerprint?: string;
  /** For `failed`: why, in one line. */
  message?: string;
  /** Joiner, from `checking` on: how the other node was found (`relay ws://…` or `lan`). */
  via?: string;
  /** Issuer, at `joined`: the id of the pending request the joiner became (`pending.approve` takes it). */
  pendingId?: string;
}

/**
 * What a live connection can be (connections/connection-table.ts), by kind: the node's own here; each
 * domain's contract file adds its own with `declare module` (the forwards' `forward`, the terminal's
 * `terminal-opened`…), so a new domain's connections list under their own kind.
 */
export interface ConnectionKinds {
  /** A circuit this node's own relay carries for peers. */
  'relay-circuit': true;
}

/** What a live connection is (`connections.list`). */
export type ConnectionKind = Extract<keyof ConnectionKinds, string>;

export interface ConnectionPeer {
  name: string;
  fingerprint: string;
  /** The groups that let it in, when it is no peer but a member's device (`lab`, `lab, ci`). */
  group?: string;
}

/** One live connection this node carries (`connections.list`). */
export interface ConnectionInfo {
  /** Short, unique in this agent's run (`c1f`): what `connections.close` takes. */
  id: string;
  kind: ConnectionKind;
  /** The peer at the other end, or null when none is involved. */
  peer: ConnectionPeer | null;
  from: string;
  to: string;
  /** Bytes from `to` back towards `from`. */
  bytesIn: number;
  /** Bytes from `from` towards `to`. */
  bytesOut: number;
  openedAt: string;
  /** Milliseconds since it opened, when this list was made. */
  ageMs: number;
}

/** The live connections, pushed as they open and end, and while bytes move (coalesced). */
export interface ConnectionsEvent {
  connections: ConnectionInfo[];
}
