/**
 * A peer's state and address as the links know them (judged by peer-state.ts): what `peers` shows and what
 * the link set tells when a peer's state changes.
 */
import type { ReadonlyPeerEntry } from './ports.js';
import type { KnownAddress } from '../state/address-book.js';
import { routeText } from '../core/routes.js';
import { nodeKindOfCert } from '../crypto/node-kind.js';
import { isPunchedLink } from '../transport/nat/punched-link.js';
import type { RelaySetting } from '../state/settings.js';
import { describePeerAddress, describePeerState } from './peer-state.js';
import type { PeerAddressView, PeerStateView } from './peer-state.js';

/** The peer refused our hello since the route last failed: that refusal is its state, not the route. */
export function refusedSince(entry: ReadonlyPeerEntry): boolean {
  return entry.refusal !== undefined && entry.refusal.at >= (entry.route.lastErrorAt ?? 0);
}

/** What the agent knows about how a peer is (not) reachable, judged by peer-state.ts. */
export function peerStateView(agent: PeerStateSource, entry: ReadonlyPeerEntry): PeerStateView {
  const active = entry.links.active;
  const route = entry.record.route;
  // A routed peer is reached through its route alone: its state line is the route's (ADR 0017).
  if (!active && route && !refusedSince(entry)) {
    const via = routeText(route, (fp) => agent.peerName?.(fp));
    const why = entry.route.lastError ?? 'not up yet (still trying)';
    return { state: 'unreachable', stateDetail: `route via ${via}: ${why}`, relayReason: null };
  }
  const attempt = (r: ReadonlyPeerEntry['direct']) => ({
    lastError: r.lastError,
    observed: r.lastObserved,
    lastRefusal: r.lastRefusal,
    lastErrorAt: r.lastErrorAt,
  });
  return describePeerState({
    now: Date.now(),
    peer: { name: entry.record.name, fingerprint: entry.fingerprint },
    active: active
      ? { path: active.path, remote: addressOf(entry).address ?? active.link.remote }
      : undefined,
    refusal: entry.refusal,
    direct: attempt(entry.direct),
    relay: attempt(entry.relay),
    relays: agent.relayClients().map((r) => ({
      url: r.url,
      up: r.state === 'connected',
      downSince: r.downSince,
      backAt: r.backAt,
      refusal: r.refusal,
    })),
    // Saved and observed alike (observations.ts): a peer's learned addresses are not in its record.
    addressesKnown: (agent.addressBook?.(entry.fingerprint) ?? entry.record.addresses).length,
    directOffHere: agent.settings.get().listen === null,
    directOffThere: entry.directOffThere === true,
    browser: entry.record.cert !== undefined && nodeKindOfCert(entry.record.cert) === 'browser',
    homeRelayKnown: homeRelayOf(agent, entry).homeRelay !== undefined,
    lostAt: !active && entry.links.since ? entry.links.since.getTime() : undefined,
    traversal: entry.traversal?.explanation && {
      ...entry.traversal.explanation,
      punchError: entry.traversal.punchError,
      gaveUp: entry.traversal.gaveUp,
      nextTryAt: entry.traversal.nextTryAt,
    },
  });
}

/** What peerStateView reads from the agent. */
export interface PeerStateSource {
  relayClients(): readonly {
    url: string;
    state: string;
    /** Since when it is down (ms since the epoch), while it is (transport/relay-client.ts). */
    downSince?: number | undefined;
    /** When it came back after being down, while it is up. */
    backAt?: number | undefined;
    /** While it is up but refuses this node: its refusal's line (transport/relay-client.ts). */
    refusal?: string | undefined;
  }[];
  /** This node's name for a peer, for routes (undefined: not a peer, or not known to this source). */
  peerName?(fingerprint: string): string | undefined;
  /** Where a peer is dialed: its saved addresses with the observed ones (absent: the saved ones). */
  addressBook?(fingerprint: string): readonly KnownAddress[];
  /** Where its relay path meets it: the home relay heard, else saved (absent: the saved one). */
  homeRelay?(fingerprint: string): RelaySetting | undefined;
  readonly settings: { get(): { listen: string | null } };
}

/** The peer's address as `active` (by default the link in use now) reaches it (peer-state.ts). */
export function addressOf(entry: ReadonlyPeerEntry, active = entry.links.active): PeerAddressView {
  const link = active && {
    path: active.path,
    remote: active.link.remote,
    initiator: active.link.initiator,
    punched: isPunchedLink(active.link),
  };
  return describePeerAddress(link, entry.announcedAddresses);
}

/** The peer's home relay URL as PeerInfo carries it (absent when not known). */
export function homeRelayOf(agent: PeerStateSource, entry: ReadonlyPeerEntry): { homeRelay?: string } {
  const home = agent.homeRelay?.(entry.fingerprint) ?? entry.record.homeRelay;
  return home ? { homeRelay: home.url } : {};
}
