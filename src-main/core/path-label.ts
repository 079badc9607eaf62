/**
 * The words for the path a peer's link takes, the same in the CLI (`peers`' PATH column) and in the
 * window (a peer's badge): `direct`, `relay`, `relay (spliced)` once a relay link moved onto a splice
 * (node-to-node TLS piped by the relay, docs/relay-protocol.md §Splices), or `route`. One function, so
 * the two cannot drift apart again (they did: the window said `relay wss://…` where the CLI said
 * `relay (spliced)`). The window's page runs this module too (ADR 0015's exception, widened to it):
 * no imports, no Node.
 */

/** What the words are made of (PeerInfo's fields of the same names). */
export interface PathFacts {
  path: 'direct' | 'relay' | 'route' | null;
  relaySpliced?: boolean | null;
}

/** `direct`, `relay`, `relay (spliced)`, `route`, or `-` with no path. Pure. */
export function pathLabel(p: PathFacts): string {
  if (!p.path) return '-';
  return p.path === 'relay' && p.relaySpliced === true ? 'relay (spliced)' : p.path;
}
