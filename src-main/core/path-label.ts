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

/**
 * Where an address of a peer was learned, and so what it means from here (core/address-where.ts
 * judges it): on `this-machine` (loopback), on `this-lan` (heard on this LAN, or a link from here
 * worked), on `its-lan` (a private address the peer names, which may be another home's LAN that means
 * nothing here), `public`, `mapped` by the peer's router, `punched` (a simultaneous open's port, never
 * where the peer listens), or `named` (a host name).
 */
export type AddressWhere =
  'this-machine' | 'this-lan' | 'its-lan' | 'public' | 'mapped' | 'punched' | 'named';

const WHERE_TEXT: Record<AddressWhere, string> = {
  'this-machine': 'this machine',
  'this-lan': 'this LAN',
  'its-lan': 'its own LAN',
  public: 'public',
  mapped: 'mapped by its router',
  punched: 'punched',
  named: 'by name',
};

/** `192.168.1.10:7475 (its own LAN)`: an address with where it was learned, as the CLI and window show it. */
export function addressWithWhere(address: string, where: AddressWhere | undefined): string {
  return where === undefined ? address : `${address} (${WHERE_TEXT[where]})`;
}
