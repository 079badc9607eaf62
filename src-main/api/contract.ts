/**
 * The one API contract (architecture.md §Layers): every command a client (CLI, Electron renderer, web UI) can send to
 * the agent, with its parameter schema (validated at every transport boundary) and its result type.
 * Transports only move `{ method, params }` and results; they never know what a method means.
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';
import { MAX_FORWARD_TO_PATTERN_CHARS, MAX_FORWARD_TO_PATTERNS } from '../core/forward-limits.js';
import type { Hint } from '../core/hint.js';
import type { NatVerdict } from '../transport/nat/nat-kind.js';
import type { PortMappingStatus } from '../transport/nat/port-mapping.js';
import type { PathKind } from '../transport/link.js';
import type { AddressSource } from '../core/address-source.js';
import type { AddressWhere } from '../core/path-label.js';
import type { AuditEvent } from '../audit/audit-events.js';
import { normalizeNodeName, typedNameProblem } from '../core/names.js';
import { PERMISSIONS } from '../core/permissions.js';
import { fileMethodParams, type FileEvents, type FileMethodResults } from './contract-files.js';
import {
  messageMethodParams,
  type MessageEvents,
  type MessageMethodResults,
  type MessageStatesMode,
} from './contract-messages.js';
import { mineMethodParams, type MineEvents, type MineMethodResults } from './contract-mine.js';
import { shareMethodParams, type ShareMethodResults } from './contract-share.js';
import { terminalMethodParams, type TerminalMethodResults } from './contract-terminal.js';

const peerRef = z.string().min(1).max(200);
/** Most events one `audit.list` answers (the newest of those that match). */
export const AUDIT_LIST_MAX = 5000;
/** A name a person gives here (a rename, the window's name field): see typedNameProblem; used in normal form. */
const typedNodeName = z
  .string()
  .superRefine((name, ctx) => {
    const problem = typedNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: `a node name ${problem}` });
  })
  .transform(normalizeNodeName);
/** What a peer may do on this node: core/permissions.ts PERMISSIONS. */
export const permissionSchema = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof permissionSchema>;
const allowList = z.array(permissionSchema).max(PERMISSIONS.length);
/** Name of a forward or proxy: letters, digits, `.`, `_`, `-`. */
const forwardName = z.string().regex(/^[\w.-]{1,64}$/, 'use 1–64 letters, digits, ".", "_" or "-"');
/** Which kind a toggle is meant for: the CLI's `forward disable` refuses a proxy's name, and the other way. */
const toggleKind = z.enum(['forward', 'proxy']).optional();
/** A relay's address: ws:// or wss://. */
const relayUrl = z
  .string()
  .max(2000)
  .regex(/^wss?:\/\/[^\s/]+/, 'a relay URL starts with ws:// or wss:// and a host');
/** Longest wait for a pairing decision, in ms (1 h): a join is interactive. */
export const MAX_PAIR_JOIN_TIMEOUT_MS = 60 * 60 * 1000;
/** How long a pairing code may live: 10 s to 24 h (`pair new --ttl`). */
export const MIN_PAIR_CODE_TTL_MS = 10_000;
export const MAX_PAIR_CODE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Parameter schemas, one per method, each made on the method's first call (paramsSchema): zod builds
 * every schema as objects and closures at once, and an agent that answers a handful of methods held all
 * of these for good (ADR 0073; what they cost: docs/design/loading-on-demand.md).
 */
const methodParams = {
  status: () => z.object({}).strict(),
  'peers.list': () => z.object({}).strict(),
  'peers.add': () =>
    z
      .object({
        fingerprint: z.string().min(1).max(200),
        name: typedNodeName,
        address: z.string().min(1).max(300).optional(),
        allow: allowList.optional(),
        /** Allowed to rename a node that is already a peer under another name (else BAD_ARGUMENT). */
        rename: z.boolean().optional(),
        /**
         * The peer's home relay (ws:// or wss:// URL), for a node on a relay this one does not use: dialed
         * on demand until the peer's hello says where it lives. Without it, learned from that hello.
         */
        relay: z.string().min(1).max(300).optional(),
        /** Pin of that relay's self-signed certificate (wss:// only). */
        relayFingerprint: z.string().min(1).max(200).optional(),
        /** Access token of that relay, when it asks for one ('' removes a saved one). */
        relayToken: z.string().max(255).optional(),
        /** One of the owner's devices (ADR 0056): see `peers.mine`. */
        mine: z.boolean().optional(),
      })
      .strict(),
  'peers.allow': () => z.object({ peer: peerRef, permission: permissionSchema }).strict(),
  'peers.deny': () => z.object({ peer: peerRef, permission: permissionSchema }).strict(),
  /** Where the peer's forwards may go here: HOST:PORT patterns, or null for anywhere. */
  'peers.limit': () =>
    z
      .object({
        peer: peerRef,
        forwardTo: z
          .array(z.string().min(1).max(MAX_FORWARD_TO_PATTERN_CHARS))
          .min(1)
          .max(MAX_FORWARD_TO_PATTERNS)
          .nullable()
          .optional(),
        /** Where the peer's reverse forwards may listen here: HOST:PORT patterns, or null for any loopback port. */
        listenOn: z
          .array(z.string().min(1).max(MAX_FORWARD_TO_PATTERN_CHARS))
          .min(1)
          .max(MAX_FORWARD_TO_PATTERNS)
          .nullable()
          .optional(),
      })
      .strict()
      .refine((p) => p.forwardTo !== undefined || p.listenOn !== undefined, {
        message: 'give forwardTo or listenOn',
      }),
  /**
   * Reach the peer only through these peers, in order (names or fingerprints), or directly again
   * (null). More than MAX_ROUTE_HOPS hops is refused by the agent with one line, not here.
   */
  'peers.route': () => z.object({ peer: peerRef, via: z.array(peerRef).min(1).max(16).nullable() }).strict(),
  /**
   * Try a direct link to the peer now, not after the backoff: its addresses are dialed, and across NATs
   * a round of simultaneous opens starts (within the peer's budget; docs/reachability.md).
   */
  'peers.retry': () => z.object({ peer: peerRef }).strict(),
  'pending.list': () => z.object({}).strict(),
  'pending.approve': () =>
    z
      .object({
        id: z.string().min(1).max(16).optional(),
        latest: z.boolean().optional(),
        /** The fingerprint the owner compared: required to approve a request that came without a code. */
        fingerprint: z.string().min(1).max(200).optional(),
        allow: allowList.optional(),
        /** One of the owner's devices (ADR 0056): see `peers.mine`. */
        mine: z.boolean().optional(),
      })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.latest !== true), {
        message: 'give either an id or latest: true',
      }),
  'pending.reject': () =>
    z
      .object({ id: z.string().min(1).max(16).optional(), latest: z.boolean().optional() })
      .strict()
      .refine((p) => (p.id === undefined) !== (p.latest !== true), {
        message: 'give either an id or latest: true',
      }),
  'pair.new': () =>
    z
      .object({
        ttlMs: z.number().int().min(MIN_PAIR_CODE_TTL_MS).max(MAX_PAIR_CODE_TTL_MS).optional(),
        /**
         * The device that joins with this code is one of the owner's devices (ADR 0056): approving its
         * request marks it so, unless the approval says `mine: false`.
         */
        mine: z.boolean().optional(),
      })
      .strict(),
  'pair.join': () =>
    z
      .object({
        code: z.string().min(1).max(2000),
        timeoutMs: z.number().int().min(1000).max(MAX_PAIR_JOIN_TIMEOUT_MS).optional(),
        /** What the issuer may do here; absent: nothing, or `mineAllow` with `mine`. */
        allow: allowList.optional(),
        /** The node whose code this is is one of the owner's devices (ADR 0056). */
        mine: z.boolean().optional(),
      })
      .strict(),
  'peers.remove': () => z.object({ peer: peerRef }).strict(),
  ping: () =>
    z.object({ peer: peerRef, timeoutMs: z.number().int().min(100).max(60_000).optional() }).strict(),
  'forward.add': () =>
    z
      .object({
        /**
         * `[HOST:]PORT` to listen on; HOST defaults to 127.0.0.1. For a reverse forward: `HOST:PORT`
         * its connections go to, as seen from this node (`forward add --reverse --to`).
         */
        local: z.string().min(1).max(300),
        via: peerRef,
        /**
         * `HOST:PORT` as seen from the peer. For a reverse forward: `[HOST:]PORT` the peer listens on
         * (its loopback unless a host is given; `forward add --reverse --listen`).
         */
        remote: z.string().min(1).max(300),
        /** `reverse`: like `ssh -R`, the peer listens and connections come back here (default `local`). */
        direction: z.enum(['local', 'reverse']).optional(),
        name: forwardName.optional(),
        /** Needed to listen on an address other machines can reach. */
        allowRemoteBind: z.boolean().optional(),
        /**
         * `udp` forwards UDP datagrams, each client address its own flow (default `tcp`); with
         * `direction: 'reverse'` the peer listens for UDP and the flows come back here.
         */
        protocol: z.enum(['tcp', 'udp']).optional(),
        /** A UDP forward's idle time per client flow, in seconds (default 60). */
        udpIdleS: z.number().int().min(1).max(3600).optional(),
      })
      .strict()
      .refine((p) => p.udpIdleS === undefined || p.protocol === 'udp', {
        message: 'udpIdleS is for UDP forwards (protocol: udp)',
      }),
  'forward.list': () => z.object({}).strict(),
  'forward.remove': () => z.object({ name: forwardName }).strict(),
  'proxy.add': () =>
    z
      .object({
        kind: z.enum(['socks', 'http']),
        local: z.string().min(1).max(300),
        /** Exit peer; a SOCKS client may name another as its user name, and must when this is absent. */
        via: peerRef.optional(),
        name: forwardName.optional(),
        allowRemoteBind: z.boolean().optional(),
        /**
         * Clients must give the proxy's secret as their password (default true): false lets any local
         * program use it (browsers cannot send a SOCKS password). See docs/security.md.
         */
        auth: z.boolean().optional(),
      })
      .strict()
      .refine((p) => p.kind === 'socks' || p.via !== undefined, {
        message: 'an HTTP proxy needs via: the peer where its connections exit',
      }),
  'proxy.list': () => z.object({}).strict(),
  'proxy.remove': () => z.object({ name: forwardName }).strict(),
  /** The web UI's link (docs/web-ui.md); `newToken` replaces its token, closing every session that used it. */
  'ui.url': () => z.object({ newToken: z.boolean().optional() }).strict(),
  /** Switch a forward or proxy off (saved with `enabled: false`, its port freed) or on again. */
  'forward.enable': () => z.object({ name: forwardName, kind: toggleKind }).strict(),
  'forward.disable': () => z.object({ name: forwardName, kind: toggleKind }).strict(),
  'peers.rename': () => z.object({ peer: peerRef, name: typedNodeName }).strict(),
  /**
   * Retires an open pairing code (the one `pair.new` returned), so nobody can use it any more; or cancels
   * this node's `pair.join` with that code (the issuer then withdraws the request).
   */
  'pair.cancel': () => z.object({ code: z.string().min(1).max(2000) }).strict(),
  'pair.list': () => z.object({}).strict(),
  'settings.get': () => z.object({}).strict(),
  /** Changes only what is given; see SettingsSetResult for what applies at once. */
  'settings.set': () =>
    z
      .object({
        name: typedNodeName.optional(),
        /** Direct listener `HOST:PORT`, or null to turn direct links off. */
        listen: z.string().min(1).max(300).nullable().optional(),
        actAsRelay: z.boolean().optional(),
        relayListen: z.string().min(1).max(300).optional(),
        /** Checked against the settings' bounds (1 s … 24 h) by the agent. */
        terminalResumeMs: z.number().int().positive().optional(),
        /** Checked against the settings' bounds (1 min … 30 days) by the agent. */
        detachedTerminalIdleMs: z.number().int().positive().optional(),
        notifications: z.boolean().optional(),
        messageNotifications: z.boolean().optional(),
        /** Peers allowed `listen` may have this node listen on non-loopback addresses (ADR 0018). */
        allowRemoteReverseListen: z.boolean().optional(),
        /** Ask the router to map the direct listener's port (UPnP, NAT-PMP); applies at the next start. */
        portMapping: z.boolean().optional(),
        /** What a device introduced by another of the owner's devices may do here (ADR 0056). */
        mineAllow: allowList.optional(),
        addRelay: z
          .object({
            url: relayUrl,
            fingerprint: z.string().min(1).max(200).optional(),
            /** At most 255 bytes of UTF-8 (the relay protocol's limit; the agent checks the bytes). */
            token: z.string().min(1).max(255).optional(),
          })
          .strict()
          .optional(),
        removeRelay: relayUrl.optional(),
      })
      .strict(),
  /** Dials a relay once and reports its TLS certificate, for the "trust this relay?" prompt. */
  'relay.probe': () =>
    z.object({ url: relayUrl, timeoutMs: z.number().int().min(100).max(30_000).optional() }).strict(),
  /** terminal.list, .handOver, .close (contract-terminal.ts). */
  ...terminalMethodParams,
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
        peer: peerRef.optional(),
        limit: z.number().int().min(1).max(AUDIT_LIST_MAX).optional(),
      })
      .strict(),
  /** Asks the agent to shut down cleanly (forwards closed, peers told, ports freed); answered before it stops. */
  'agent.stop': () => z.object({}).strict(),
  /** peers.mine, peers.revoke (contract-mine.ts). */
  ...mineMethodParams,
  /** files.send, .transfers, .cancel, .clear, .usage, .list, .get, .delete (contract-files.ts). */
  ...fileMethodParams,
  /** messages.send, .list, .ack, .outbox, .delete (contract-messages.ts). */
  ...messageMethodParams,
  /** share.add, .list, .remove (contract-share.ts). */
  ...shareMethodParams,
} as const;

export type MethodName = keyof typeof methodParams;
type ParamsSchema<M extends MethodName> = ReturnType<(typeof methodParams)[M]>;
export type MethodParams<M extends MethodName> = z.infer<ParamsSchema<M>>;

/** Each method's maker, made on use as every other schema is (core/made-on-use.ts). */
const paramsMakers = Object.fromEntries(
  Object.entries(methodParams).map(([method, make]) => [method, madeOnUse<z.ZodType>(make)]),
) as { readonly [M in MethodName]: () => ParamsSchema<M> };

/** The parameter schema of `method`, made on use. */
export function paramsSchema<M extends MethodName>(method: M): ParamsSchema<M> {
  return paramsMakers[method]();
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

/** How a peer is (not) reachable; see src-main/links/peer-state.ts for each word's meaning. */
export type PeerState = 'online' | 'waiting' | 'refused' | 'unreachable' | 'offline';

export interface PeerInfo {
  name: string;
  fingerprint: string;
  /** True exactly when `state` is `online`; kept for older clients. */
  online: boolean;
  state: PeerState;
  /**
   * One line: online → path and address (`direct 10.0.0.5:7475`); waiting → `waiting for their
   * approval`; refused → `refused by them (removed or rejected us)`; unreachable → why (`no relay connected
   * here and no direct address known`, or the last dial error); offline → what the relay said, or null.
   */
  stateDetail: string | null;
  /** The command that does what stateDetail says to do, when it says to run one (core/hint.ts). */
  stateHint?: Hint;
  /**
   * "Why relayed?" when the path is relay: `no direct address known`, `direct dial failed: <error>`,
   * `direct turned off here`, `they do not accept direct connections (…)` (its hello announced no
   * listener), or `direct not up yet (still trying)`; null otherwise.
   */
  relayReason: string | null;
  path: PathKind | null;
  /**
   * Where the path in use reaches the peer: for direct, the address it listens on (the one we dialed,
   * or for a link it dialed the first address its hello announced; null until that hello), for relay
   * the relay URL.
   */
  address: string | null;
  /**
   * Where the direct path in use reaches the peer (`address`, when the path is direct): on this machine,
   * this LAN, the peer's own LAN, public, mapped by its router, or `punched` (a simultaneous open's port,
   * which is not where it listens). Absent otherwise, and from older agents.
   */
  addressWhere?: AddressWhere;
  /** Where the peer listens for direct links (docs/protocol.md §Hello), whatever the path; null if unknown. */
  listenAddress: string | null;
  /** Where `listenAddress` stands (as addressWhere). Absent when it is null, and from older agents. */
  listenAddressWhere?: AddressWhere;
  /**
   * Who dialed the link in use and its far end as the socket sees it (a peer that dialed us: its
   * outgoing address and ephemeral port); null when offline.
   */
  linkFrom: { dialedBy: 'us' | 'peer'; remote: string } | null;
  /** Relay URL when the path is relay (null otherwise). */
  relay: string | null;
  /**
   * The peer's home relay, where its relay path meets it when this node is not on that relay (heard in
   * its hello, or saved by `peers add --relay`): dialed on demand. Absent when not known.
   */
  homeRelay?: string;
  /**
   * On the relay path: true once the link runs on a splice (node-to-node TLS through the relay,
   * docs/relay-protocol.md §Splices), false while it is on its E2E circuit; null on other paths.
   */
  relaySpliced: boolean | null;
  /**
   * Every path with a link to the peer up now (direct, relay, route, in that order): a relay link kept
   * beside a dialed direct one as a warm standby shows here; a pair moved off the relay onto a punched
   * direct link (ADR 0081) lists `direct` alone. Absent from older agents.
   */
  links?: PathKind[];
  rttMs: number | null;
  /** ISO time since which the peer is in its current online/offline state. */
  since: string | null;
  /** What this peer may do here. */
  allow: Permission[];
  /**
   * What the peer lets this node do there, as the peer last said over a link (docs/protocol.md
   * §Grants); null until it has said so since this agent started (or when it is too old to say).
   */
  theyAllow: Permission[] | null;
  /** Marked here as one of the owner's devices (ADR 0056). */
  mine: boolean;
  /**
   * Whether the peer marks this node as one of its owner's devices too, as the last exchange showed;
   * null until one was tried since this agent started. A one-sided mark does nothing.
   */
  theyMarkMine: boolean | null;
  /** The device whose introduction made this a peer here (fingerprint), or null. */
  introducedBy: string | null;
  /** Where this peer's forwards may go here (`HOST:PORT` patterns with `*`), or null for anywhere. */
  forwardTo: string[] | null;
  /** The hops this node reaches the peer through, by its names for them, in order; null: no route. */
  route: string[] | null;
  /** Where this peer's reverse forwards may listen here (`HOST:PORT` patterns), or null for any loopback port. */
  listenOn: string[] | null;
  /**
   * Every address this node dials the peer at directly, in the order it tries them (what worked last
   * first): where each came from (`given` by `peers add --address`, its `hello`, the `lan`, or `seen` as
   * the source of its link) and when a direct link to it last came up.
   */
  addresses: {
    address: string;
    from: AddressSource[];
    lastWorked: string | null;
    /** Where it stands (core/path-label.ts AddressWhere); absent from older agents. */
    where?: AddressWhere;
  }[];
  /**
   * While simultaneous opens with the peer are given up for now: ISO time the next round starts on its
   * own (`peers.retry` starts one at once). Absent otherwise, and from older agents.
   */
  directRetryAt?: string;
  /**
   * Addresses the peer named as candidates across NATs that were refused (not a target, or over its
   * budget) on the current relay link. Absent when none.
   */
  candidatesDropped?: number;
}

export interface PendingInfo {
  id: string;
  /** The name the node gave (validated: no control characters). */
  name: string;
  /** The name followed by the short fingerprint when another request or a peer has the same name. */
  displayName: string;
  fingerprint: string;
  /** `code`: proved knowledge of a pairing code (PAKE); `fingerprint`: only knew this node's fingerprint. */
  via: 'code' | 'fingerprint';
  /** Where the request came from: `host:port` (direct, LAN) or the relay URL. */
  address: string;
  /** Seconds since the request first arrived. */
  age: number;
  /**
   * When the node is already a peer here (it removed this node and pairs again): the name and
   * permissions it has here, which an approval keeps unless it gives `allow`.
   */
  knownAs: { name: string; allow: Permission[] } | null;
  /**
   * It joined with a code made as one of the owner's devices (`pair new --mine`): approving it marks
   * it so unless the approval says `mine: false`. Absent: no.
   */
  mine?: boolean;
}

export interface PairNewResult {
  /** The code to read aloud, e.g. `K7QX-M2RT-9WZA`. */
  code: string;
  /** A link that also carries the relay URL and its fingerprint, for a joiner that does not share it. */
  invite: string;
  expiresAt: string;
  /** Made with `mine`: the device that joins with it is one of the owner's devices. Absent: no. */
  mine?: boolean;
}

/**
 * The pairings under way on this node, for a window that opens (or reloads) in the middle of one:
 * codes it shows that nobody has used yet, and joins still running, each with where it stands (the
 * `pairing` events so far, merged).
 */
export interface PairListResult {
  codes: PairNewResult[];
  joins: PairingEvent[];
}

export interface PairJoinResult {
  /** This node's name for the new peer (a known peer keeps the one it has here). */
  name: string;
  fingerprint: string;
  /** What the new peer may do here. */
  allow: Permission[];
}

/** A port this node listens on for a peer's reverse forward or share (`status`, `share list`). */
export interface PeerListenerInfo {
  /** The peer it listens for, by its name here now. */
  peer: string;
  peerFingerprint: string;
  /** The address bound. */
  listen: string;
  protocol: 'tcp' | 'udp';
  /** Connections accepted there and open now (TCP; 0 for UDP, whose flows its peer counts). */
  open: number;
}

export interface StatusResult {
  name: string;
  fingerprint: string;
  /** Direct listener `host:port`, or null with --no-direct. */
  listen: string | null;
  relays: RelayStatus[];
  peers: PeerInfo[];
  /** Ports this node listens on for its peers (their reverse forwards and shares); absent: none. */
  listeningForPeers?: PeerListenerInfo[];
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

export interface PingResult {
  peer: string;
  path: PathKind;
  remote: string;
  rttMs: number;
}

/**
 * Whether a forward or proxy is accepting connections; `error` when its address could not be bound;
 * `off` when the user switched it off (`forward.disable`): saved, its port free.
 */
export type ForwardState = 'listening' | 'error' | 'off';

export interface ForwardInfo {
  name: string;
  /**
   * `local`: this node listens on `local` and connections exit at `via` to `remote`. `reverse` (like
   * `ssh -R`): `via` listens on `remote` and connections come back here to `local`. Either way `local`
   * is this node's side and `remote` the peer's.
   */
  direction: 'local' | 'reverse';
  /** The bound `host:port` (the configured one while in error); for a reverse forward, its target here. */
  local: string;
  /** Exit peer, by the name it has now. */
  via: string;
  /**
   * The exit peer's fingerprint: the forward is bound to that machine. Null for a forward saved by an
   * older release whose peer was gone at start.
   */
  viaFingerprint: string | null;
  /** `host:port` as seen from the peer. */
  remote: string;
  state: ForwardState;
  /** Connections open now. */
  open: number;
  /** Connections accepted since the agent started. */
  connections: number;
  /** Bytes from the remote side to local clients. */
  bytesIn: number;
  /** Bytes from local clients to the remote side. */
  bytesOut: number;
  /** Why the state is `error` (only then). */
  error?: string;
  /** When a listener whose port was taken tries to bind again (ISO time; only in state `error`). */
  retryAt?: string;
  /**
   * Why its last connection failed or was cut (a peer that refused it, a lost link) and when (ISO time),
   * until a later connection opens. Absent when the last connection opened fine.
   */
  lastProblem?: { message: string; at: string };
  /**
   * `udp` for a UDP forward (absent for TCP): then `open` and `connections` count client flows, the
   * byte counters count datagram payloads, and these say more.
   */
  protocol?: 'udp';
  /** A UDP forward's idle time per client flow, in seconds. */
  udpIdleS?: number;
  /** Datagrams from the remote side to local clients. */
  datagramsIn?: number;
  /** Datagrams from local clients to the remote side. */
  datagramsOut?: number;
  /**
   * Datagrams dropped: over a flow's queue, too many flows, a flow that could not open, unsendable, or
   * dropped by the kernel at the forward's socket (its receive buffer full).
   */
  dropped?: number;
  /** Of `dropped`, those the kernel dropped at the forward's socket (Linux; 0 where it does not say). */
  kernelDropped?: number;
}

export interface ProxyInfo {
  name: string;
  kind: 'socks' | 'http';
  local: string;
  /** Default exit peer, or null for a SOCKS proxy whose clients name it as their user name. */
  via: string | null;
  /** The default exit peer's fingerprint (null without one, or as for ForwardInfo). */
  viaFingerprint: string | null;
  /**
   * The password clients must give (SOCKS5 password, HTTP `Proxy-Authorization: Basic`), or null when
   * any local program may use the proxy (added with `auth: false`, or by an older release).
   */
  secret: string | null;
  /** What to give a client: `socks5h://PEER:SECRET@127.0.0.1:1080` or `http://PEER:SECRET@…`. */
  url: string;
  state: ForwardState;
  /** Connections open now. */
  open: number;
  /** Connections accepted since the agent started. */
  connections: number;
  bytesIn: number;
  bytesOut: number;
  error?: string;
  retryAt?: string;
  /** As for ForwardInfo: why its last connection was cut, until a later one opens. */
  lastProblem?: { message: string; at: string };
}

/** The web UI's link: `http://127.0.0.1:PORT/#token=<64 hex>` (the token rides in the fragment). */
export interface UiUrlResult {
  url: string;
}

/** Result type of each method. */
export interface MethodResults
  extends
    MessageMethodResults,
    ShareMethodResults,
    FileMethodResults,
    MineMethodResults,
    TerminalMethodResults {
  status: StatusResult;
  'peers.list': PeerInfo[];
  'peers.add': PeerInfo;
  'peers.remove': { name: string; fingerprint: string };
  ping: PingResult;
  'peers.allow': PeerInfo;
  'peers.deny': PeerInfo;
  'peers.limit': PeerInfo;
  'peers.route': PeerInfo;
  'peers.retry': PeerInfo;
  'pending.list': PendingInfo[];
  'pending.approve': PeerInfo;
  'pending.reject': { name: string; fingerprint: string };
  'pair.new': PairNewResult;
  'pair.join': PairJoinResult;
  'forward.add': ForwardInfo;
  'forward.list': ForwardInfo[];
  'forward.remove': { name: string };
  'proxy.add': ProxyInfo;
  'proxy.list': ProxyInfo[];
  'proxy.remove': { name: string };
  'ui.url': UiUrlResult;
  'forward.enable': ToggleResult;
  'forward.disable': ToggleResult;
  'peers.rename': PeerInfo;
  'pair.cancel': { code: string };
  'pair.list': PairListResult;
  'settings.get': SettingsResult;
  'settings.set': SettingsSetResult;
  'relay.probe': RelayProbeResult;
  'agent.stop': { name: string };
  'connections.list': ConnectionInfo[];
  'connections.close': ConnectionInfo;
  'audit.list': AuditListResult;
}

/** `audit.list`: the events that match, and how many lines of the files were not events. */
export interface AuditListResult {
  events: AuditEvent[];
  /** Lines skipped: not JSON, or not an event this release knows. */
  bad: number;
}

/**
 * Events pushed to subscribed clients (`message` and `message.state`: contract-messages.ts;
 * `file.transfer` and `file.received`: contract-files.ts).
 */
export interface ApiEvents extends MessageEvents, FileEvents, MineEvents {
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
  /** An agent-owned terminal session changed state. */
  terminal: TerminalEvent;
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

/** What a notice is about: how it is routed (core/notices go to the log and a CLI agent's stderr). */
export type NoticeKind =
  'forward' | 'proxy' | 'relay' | 'pairing' | 'settings' | 'network' | 'web-ui' | 'audit';

/** A one-line notice: what it is about, its words, and the command that does what it says, if any. */
export interface NoticeEvent {
  kind: NoticeKind;
  message: string;
  hint?: Hint;
}

/** Shortest interval between two `status` events, in ms (250): live counters without a flood. */
export const STATUS_EVENT_INTERVAL_MS = 250;
/** Shortest interval between two `connections` events, in ms (250), like the status event. */
export const CONNECTIONS_EVENT_INTERVAL_MS = 250;

export type {
  ChangeDomain,
  ConnectionInfo,
  ConnectionKind,
  ConnectionPeer,
  ConnectionsEvent,
  ChangedEvent,
  PairingEvent,
  PairingStep,
  RelayProbeResult,
  RelaySettingInfo,
  SettingsResult,
  SettingsSetResult,
  StatusEvent,
  TerminalEvent,
  TerminalInfo,
  TerminalSessionState,
  ToggleResult,
} from './contract-types.js';
import type {
  ChangedEvent,
  ConnectionInfo,
  ConnectionsEvent,
  PairingEvent,
  RelayProbeResult,
  SettingsResult,
  SettingsSetResult,
  StatusEvent,
  TerminalEvent,
  ToggleResult,
} from './contract-types.js';

/** What a subscriber asks of its events (ADR 0059); every field may be left out. */
export interface EventOptions {
  /** `batched`: outbox state changes as `message.states` events instead of `message.state` ones. */
  messageStates?: MessageStatesMode;
}

/** What a transport calls: the agent implements this. */
export interface ApiHandler {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]>;
  onEvent(
    listener: <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void,
    options?: EventOptions,
  ): () => void;
}

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methodParams, name);
}

/** Every method the contract lists. */
export function methodNames(): MethodName[] {
  return Object.keys(methodParams) as MethodName[];
}
