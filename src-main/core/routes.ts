/**
 * Saved routes (docs/adr/0017-multi-hop-routes.md): a peer reached only through other peers, in order,
 * like `ssh -J b,c d`. Pure rules, so the store (node-state.ts) and the tests share them.
 */
import { abbreviateFingerprint } from './fingerprint.js';

/** Most hops a route may have: every hop adds a round trip to each handshake and to every byte's way. */
export const MAX_ROUTE_HOPS = 4;

/** What the rules read of a peer. */
export interface RoutePeer {
  fingerprint: string;
  name: string;
}

/**
 * Why `hops` (fingerprints, first hop first) cannot be the route of `target`, in one line, or
 * undefined when it can. `peers` are the saved peers; `self`, this node's fingerprint when known (it
 * is never among the peers, so without it the node itself reads as "not a peer").
 */
export function routeProblem(
  target: string,
  hops: readonly string[],
  peers: readonly RoutePeer[],
  self?: string,
): string | undefined {
  const byFp = new Map(peers.map((p) => [p.fingerprint, p]));
  const name = (fp: string) => byFp.get(fp)?.name ?? abbreviateFingerprint(fp);
  const targetPeer = byFp.get(target);
  if (!targetPeer) return `no peer ${abbreviateFingerprint(target)} here`;
  if (hops.length === 0) return 'a route needs at least one hop (or clear it)';
  if (hops.length > MAX_ROUTE_HOPS) {
    return `a route has at most ${MAX_ROUTE_HOPS} hops; ${hops.length} given`;
  }
  const seen = new Set<string>();
  for (const hop of hops) {
    if (hop === self) return 'this node cannot be a hop of its own route';
    if (hop === target) return `${targetPeer.name} cannot be a hop on the way to itself`;
    if (!byFp.has(hop)) return `hop ${abbreviateFingerprint(hop)} is not a peer here`;
    if (seen.has(hop)) return `hop ${name(hop)} comes twice: a route may not loop`;
    seen.add(hop);
  }
  return undefined;
}

/** `b → c`: the hops by this node's names for them (a hop no longer a peer: its short fingerprint). */
export function routeText(hops: readonly string[], nameOf: (fp: string) => string | undefined): string {
  return hops.map((fp) => nameOf(fp) ?? abbreviateFingerprint(fp)).join(' → ');
}
