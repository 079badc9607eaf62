/**
 * What a saved route changes about a peer's links (docs/adr/0017-multi-hop-routes.md): the link this
 * node dialed through an old route goes when the route changes; routes through a hop are dialed as
 * soon as that hop is online; a routed peer that is down is explained by its route.
 */
import { ClawError } from '../core/errors.js';
import type { PeerEntry } from './peer-entry.js';
import type { ReadonlyPeerEntry } from './ports.js';
import type { PeerRecord } from '../state/settings.js';
import { routeText } from '../core/routes.js';

/** A new, changed or cleared route: the old routed link goes and the peer is dialed the new way now. */
export function routeChanged(entry: PeerEntry, after: PeerRecord): void {
  const routed = entry.links.get('route');
  if (routed?.link.initiator) routed.mux.close(after.route ? 'route changed' : 'route cleared');
  if (after.route) return entry.route.kick();
  entry.direct.kick();
  entry.relay.kick();
}

/** A peer came online: the routes whose first hop it is can be dialed now. */
export function kickRoutesThrough(peers: Iterable<PeerEntry>, fingerprint: string): void {
  for (const p of peers) {
    if (p.record.route?.[0] === fingerprint && !p.links.get('route')) p.route.kick();
  }
}

/** Why a peer with a route has no path: the route's last failure, its hops named as this node knows them. */
export function routeOfflineError(
  entry: ReadonlyPeerEntry,
  nameOf: (fingerprint: string) => string | undefined,
): ClawError {
  const why = entry.route.lastError ?? 'not up yet (still trying)';
  const via = routeText(entry.record.route ?? [], nameOf);
  return new ClawError(
    'PEER_OFFLINE',
    `peer ${entry.record.name} is unreachable through its route via ${via}: ${why}`,
  );
}
