/**
 * The node's own part of the API contract for its peers (architecture.md §The API contract and its
 * transports): listing, adding, granting, limiting, routing, renaming and removing peers, and ping.
 * Spread into contract.ts's ContractMethods; app/peer-api.ts answers it.
 */
import { z } from 'zod';
import { MAX_FORWARD_TO_PATTERN_CHARS, MAX_FORWARD_TO_PATTERNS } from '../core/forward-limits.js';
import type { AddressSource } from '../core/address-source.js';
import type { Hint } from '../core/hint.js';
import type { AddressWhere } from '../core/path-label.js';
import type { Permission } from '../core/permissions.js';
import type { PathKind } from '../transport/link.js';
import { peerRef, typedNodeName } from './contract-fields.js';
import type { ParamsContext } from './contract-piece.js';

export const peerMethodParams = {
  'peers.list': () => z.object({}).strict(),
  'peers.add': (c: ParamsContext) =>
    z
      .object({
        fingerprint: z.string().min(1).max(200),
        name: typedNodeName(z),
        address: z.string().min(1).max(300).optional(),
        allow: c.allowList().optional(),
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
  'peers.allow': (c: ParamsContext) => z.object({ peer: peerRef(z), permission: c.permission() }).strict(),
  'peers.deny': (c: ParamsContext) => z.object({ peer: peerRef(z), permission: c.permission() }).strict(),
  /** Where the peer's forwards may go here: HOST:PORT patterns, or null for anywhere. */
  'peers.limit': () =>
    z
      .object({
        peer: peerRef(z),
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
  'peers.route': () =>
    z.object({ peer: peerRef(z), via: z.array(peerRef(z)).min(1).max(16).nullable() }).strict(),
  /**
   * Try a direct link to the peer now, not after the backoff: its addresses are dialed, and across NATs
   * a round of simultaneous opens starts (within the peer's budget; docs/reachability.md).
   */
  'peers.retry': () => z.object({ peer: peerRef(z) }).strict(),
  'peers.remove': () => z.object({ peer: peerRef(z) }).strict(),
  ping: () =>
    z.object({ peer: peerRef(z), timeoutMs: z.number().int().min(100).max(60_000).optional() }).strict(),
  'peers.rename': () => z.object({ peer: peerRef(z), name: typedNodeName(z) }).strict(),
} as const;

/** Result type of each peers method. */
export interface PeerMethodResults {
  'peers.list': PeerInfo[];
  'peers.add': PeerInfo;
  'peers.remove': { name: string; fingerprint: string };
  ping: PingResult;
  'peers.allow': PeerInfo;
  'peers.deny': PeerInfo;
  'peers.limit': PeerInfo;
  'peers.route': PeerInfo;
  'peers.retry': PeerInfo;
  'peers.rename': PeerInfo;
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
  /**
   * `browser` for a browser node (its certificate says so, ADR 0094: granted `terminal` only unless
   * approved with more), `node` for any other. Absent from older agents.
   */
  kind?: 'node' | 'browser';
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
  /**
   * A node let in without a pairing (a guest, services/admission.ts): the groups whose records let it
   * link here, by name (a member's device on a group's device, a group's device on a member's).
   * Absent for a paired peer, and from older agents.
   */
  groups?: string[];
  /**
   * With `groups`: why the guest is let in, for people (`group lab`; `removed from group lab` for a
   * removed member's device let in only to hear of it, whose `groups` is empty).
   */
  guestOf?: string[];
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
export interface PingResult {
  peer: string;
  path: PathKind;
  remote: string;
  rttMs: number;
}
