/**
 * The node's own part of the API contract for itself: its status, settings, relays, web UI link, the
 * connections it carries, its audit log and its stop; and the node's own events. Spread into
 * contract.ts's ContractMethods and ApiEvents; agent-api.ts and app/api/ answer it.
 */
import { z } from 'zod';
import type { AuditEvent } from '../audit/audit-events.js';
import type { Hint } from '../core/hint.js';
import type { NatVerdict } from '../transport/nat/nat-kind.js';
import type { PortMappingStatus } from '../transport/nat/port-mapping.js';
import { peerRef, relayUrl, typedNodeName } from './contract-fields.js';
import type { DomainSettings, ParamsContext } from './contract-piece.js';
import type { PeerInfo } from './contract-peers.js';
import type { PendingInfo } from './contract-pairing.js';
import type {
  ChangedEvent,
  ConnectionInfo,
  ConnectionsEvent,
  PairingEvent,
  RelayProbeResult,
  SettingsResult,
  SettingsSetResult,
  StatusEvent,
} from './contract-types.js';

/** Most events one `audit.list` answers (the newest of those that match). */
export const AUDIT_LIST_MAX = 5000;

/** The values of the settings the domains bring as single values (`DomainSettings` `{ option }`). */
export type DomainOptionValues = {
  [
    K in keyof DomainSettings as DomainSettings[K] extends { option: unknown } ? K : never
  ]: DomainSettings[K] extends {
    option: infer T;
  }
    ? T
    : never;
};

export const nodeMethodParams = {
  status: () => z.object({}).strict(),
  /** The web UI's link (docs/web-ui.md); `newToken` replaces its token, closing every session that used it. */
  'ui.url': () => z.object({ newToken: z.boolean().optional() }).strict(),
  'settings.get': () => z.object({}).strict(),
  /** Changes only what is given; see SettingsSetResult for what applies at once. */
  'settings.set': (c: ParamsContext) =>
    z
      .object({
        // The settings the domains bring (ContractPiece.settings options), each checked by its piece.
        ...(c.domainOptions() as {
          [K in keyof DomainOptionValues]: z.ZodOptional<z.ZodType<DomainOptionValues[K]>>;
        }),
        name: typedNodeName(z).optional(),
        /** Direct listener `HOST:PORT`, or null to turn direct links off. */
        listen: z.string().min(1).max(300).nullable().optional(),
        actAsRelay: z.boolean().optional(),
        relayListen: z.string().min(1).max(300).optional(),
        notifications: z.boolean().optional(),
        /** Peers allowed `listen` may have this node listen on non-loopback addresses (ADR 0018). */
        allowRemoteReverseListen: z.boolean().optional(),
        /** Ask the router to map the direct listener's port (UPnP, NAT-PMP); applies at the next start. */
        portMapping: z.boolean().optional(),
        /** What a device introduced by another of the owner's devices may do here (ADR 0056). */
        mineAllow: c.allowList().optional(),
        addRelay: z
          .object({
            url: relayUrl(z),
            fingerprint: z.string().min(1).max(200).optional(),
            /** At most 255 bytes of UTF-8 (the relay protocol's limit; the agent checks the bytes). */
            token: z.string().min(1).max(255).optional(),
          })
          .strict()
          .optional(),
        removeRelay: relayUrl(z).optional(),
      })
      .strict(),
  /** Dials a relay once and reports its TLS certificate, for the "trust this relay?" prompt. */
  'relay.probe': () =>
    z.object({ url: relayUrl(z), timeoutMs: z.number().int().min(100).max(30_000).optional() }).strict(),
  /** The connections this node carries right now (connections/connection-table.ts). */
  'connections.list': () => z.object({}).strict(),
  /** Cuts one live connection (and only it): a forward's sockets, a terminal session, a relay circuit. */
  'connections.close': () =>
    z
      .object({
        // Any short word: one that names no connection gets the same answer as an id that ended
        // (connection-table.ts close), with the command that lists them, not a pattern to match.
        id: z.string().min(1).max(64),
      })
      .strict(),
  /**
   * The audit log's events, oldest first (audit/): `since` a duration back (`1h`) or an ISO time,
   * `peer` a name or the start of a fingerprint, `limit` the newest this many (default 1000).
   */
  'audit.list': () =>
    z
      .object({
        since: z.string().min(1).max(40).optional(),
        peer: peerRef(z).optional(),
        limit: z.number().int().min(1).max(AUDIT_LIST_MAX).optional(),
      })
      .strict(),
  /** Asks the agent to shut down cleanly (forwards closed, peers told, ports freed); answered before it stops. */
  'agent.stop': () => z.object({}).strict(),
} as const;

/** Result type of each of the node's own methods. */
export interface NodeMethodResults {
  status: StatusResult;
  'ui.url': UiUrlResult;
  'settings.get': SettingsResult;
  'settings.set': SettingsSetResult;
  'relay.probe': RelayProbeResult;
  'agent.stop': { name: string };
  'connections.list': ConnectionInfo[];
  'connections.close': ConnectionInfo;
  'audit.list': AuditListResult;
}

export interface RelayStatus {
  url: string;
  connected: boolean;
  /** One line explaining why the relay is not connected, when it is not. */
  error?: string;
  /**
   * Present when this node is on the relay only to reach a peer whose home relay it is: not saved,
   * dropped once idle (docs/relay-protocol.md §Home relays).
   */
  onDemand?: true;
}

/**
 * The `status` call's answer. A domain adds fields of its own (its DomainStatus.call) by augmenting
 * this interface from its contract file.
 */
export interface StatusResult {
  name: string;
  fingerprint: string;
  /** Direct listener `host:port`, or null with --no-direct. */
  listen: string | null;
  relays: RelayStatus[];
  peers: PeerInfo[];
  /**
   * Where this node is reached from across NATs (docs/adr/0081-direct-across-nats.md): the address and
   * port each relay observes, the port mapping on the LAN's router (with its lease), and what kind of NAT
   * that makes it look behind. Absent from agents before it.
   */
  nat?: NatStatus;
  /**
   * Where the web UI serves (`host:port`), and `movedFrom`, the port it served on last, when that was
   * taken at this start (a page open there lost it: the tray says where it is now). Absent without a
   * web UI, and from agents before it.
   */
  ui?: { address: string; movedFrom?: number };
  /**
   * This agent process's memory, as `process.memoryUsage()` reads it (`status --json`; only in the
   * `status` call, not in status events): what `npm run bench:footprint` reports beside /proc's figures.
   */
  process?: ProcessMemory;
}

export interface NatStatus {
  observed: {
    relay: string;
    address: string;
    port: number;
    local: { address: string; port: number } | undefined;
  }[];
  mapping: PortMappingStatus;
  nat: NatVerdict;
}

/** One process's memory, in bytes. */
export interface ProcessMemory {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** Memory of C++ objects bound to JS ones (Buffers, TLS and zlib state), Buffers' contents included. */
  externalBytes: number;
  arrayBuffersBytes: number;
}

/** The web UI's link: `http://127.0.0.1:PORT/#token=<64 hex>` (the token rides in the fragment). */
export interface UiUrlResult {
  url: string;
}

/** `audit.list`: the events that match, and how many lines of the files were not events. */
export interface AuditListResult {
  events: AuditEvent[];
  /** Lines skipped: not JSON, or not an event this release knows. */
  bad: number;
}

/** The node's own events (contract.ts ApiEvents has them and those the domains bring). */
export interface NodeEvents {
  /**
   * Something changed, and what (`domains`): sent just before the `status` event that shows it (same
   * `seq`), so at most one per STATUS_EVENT_INTERVAL_MS. A client re-reads only what that status
   * event does not carry (`settings`).
   */
  changed: ChangedEvent;
  /**
   * Everything a window shows, pushed at most every STATUS_EVENT_INTERVAL_MS while things change (and
   * while forwards have open connections, so their byte counters move); once on subscribing. `seq`
   * orders it against reads (StatusEvent).
   */
  status: StatusEvent;
  /** A pairing (`pair.join` here, or a join to a code of ours) moved on a step. */
  pairing: PairingEvent;
  /** A new pending request arrived (a notification: "laptop asks to pair"). */
  'pending.added': PendingInfo;
  /**
   * A one-line problem with a forward or proxy that no other event carries (a connection its peer
   * refused, open connections a lost link cut): what a CLI agent prints on its stderr. Only notices of
   * kind `forward` and `proxy` are sent: the window learns of the others in its own way.
   */
  notice: NoticeEvent;
  /**
   * The live connections (`connections.list`): on subscribing, whenever one opens or ends, and every
   * CONNECTIONS_EVENT_INTERVAL_MS at most while their bytes move.
   */
  connections: ConnectionsEvent;
  /**
   * New events are in the audit log (`audit.list` reads them): at most every AUDIT_EVENT_INTERVAL_MS,
   * `written` counting the lines since the last one. Only that they came: a client reads them itself.
   */
  audit: AuditWrittenEvent;
}

/** The `audit` event: how many lines were written to the audit log since the last one. */
export interface AuditWrittenEvent {
  written: number;
}

/** Shortest interval between two `audit` events, in ms (1000): each makes a window read the log. */
export const AUDIT_EVENT_INTERVAL_MS = 1000;

/**
 * What a notice can be about, by kind: the node's own here; a domain's contract file adds its own with
 * `declare module`, and its piece says which go to the API's subscribers (ContractPiece.notices). Every
 * notice goes to the log and a CLI agent's stderr (state/notices.ts).
 */
export interface NoticeKinds {
  relay: true;
  pairing: true;
  settings: true;
  network: true;
  'web-ui': true;
  audit: true;
}

/** What a notice is about: how it is routed. */
export type NoticeKind = Extract<keyof NoticeKinds, string>;

/** A one-line notice: what it is about, its words, and the command that does what it says, if any. */
export interface NoticeEvent {
  kind: NoticeKind;
  message: string;
  hint?: Hint;
}

/** Shortest interval between two `status` events, in ms (250): live counters without a flood. */

/** Shortest interval between two `status` events, in ms (250): live counters without a flood. */
export const STATUS_EVENT_INTERVAL_MS = 250;
/** Shortest interval between two `connections` events, in ms (250), like the status event. */
export const CONNECTIONS_EVENT_INTERVAL_MS = 250;
