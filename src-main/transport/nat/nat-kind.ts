/**
 * What NAT a node is behind, judged from what relays observed of its connections (RelayObservation: the
 * address and port a relay saw beside the connection's own end), and why a pair stays relayed. Pure:
 * observations in, a verdict and its words out, for `status` and `peers`.
 *
 * One observation cannot tell a NAT that keeps ports from one that picked the same port by chance, nor
 * one that changes ports per destination from one that changed it once: two destinations are needed
 * (two relays, or two connections to different ports), so one observation is `unknown`.
 */

/** One relay's view of one connection. */
export interface NatObservation {
  /** Where the connection went (a relay URL, or host:port): observations to one destination count once. */
  destination: string;
  /** Address and port the far end saw. */
  address: string;
  port: number;
  /** The connection's own end, when known. */
  local: { address: string; port: number } | undefined;
}

/**
 * - `none`: the far end sees this machine's own address and port (a public address, or a LAN-only path);
 * - `preserves-port`: a NAT that keeps the local port for every destination (a simultaneous open on
 *   that port can meet a peer);
 * - `changes-port`: a NAT that gives each destination (or connection) another port, so no peer can
 *   predict it;
 * - `unknown`: too little seen, or observations that disagree.
 */
export type NatKind = 'none' | 'preserves-port' | 'changes-port' | 'unknown';

export interface NatVerdict {
  kind: NatKind;
  /** The public address, when every observation agrees on it. */
  publicAddress?: string;
  why: string;
}

export function classifyNat(observations: readonly NatObservation[]): NatVerdict {
  const known = observations.filter((o) => o.local !== undefined);
  const destinations = new Set(known.map((o) => o.destination));
  if (destinations.size < 2) {
    return {
      kind: 'unknown',
      why:
        known.length === 0
          ? 'no relay told this node where it sees it'
          : 'one destination observed this node; a second (another relay) is needed to tell how its NAT maps ports',
    };
  }
  const addresses = new Set(known.map((o) => o.address));
  if (addresses.size > 1) {
    return {
      kind: 'changes-port',
      why: `connections leave from ${addresses.size} public addresses (a carrier NAT with an address pool), so no peer can predict one`,
    };
  }
  const publicAddress = known[0]!.address;
  if (known.every((o) => o.address === o.local!.address && o.port === o.local!.port)) {
    return { kind: 'none', publicAddress, why: 'relays see this machine’s own address and port: no NAT' };
  }
  if (known.every((o) => o.port === o.local!.port)) {
    return {
      kind: 'preserves-port',
      publicAddress,
      why: 'the NAT keeps the local port for every destination',
    };
  }
  const byLocalPort = new Map<number, Set<number>>();
  for (const o of known) {
    const seen = byLocalPort.get(o.local!.port) ?? new Set<number>();
    seen.add(o.port);
    byLocalPort.set(o.local!.port, seen);
  }
  if (
    [...byLocalPort.values()].some((ports) => ports.size > 1) ||
    known.every((o) => o.port !== o.local!.port)
  ) {
    return {
      kind: 'changes-port',
      publicAddress,
      why: 'the NAT gives each destination another port than the local one',
    };
  }
  return {
    kind: 'unknown',
    publicAddress,
    why: 'the NAT kept the port for some destinations and not others',
  };
}

/** What one side of a pair knows of itself, as shared with its peer over their link. */
export interface TraversalFacts {
  nat: NatKind;
  /** A port mapping on its router is in place (port-mapping.ts), so it can be dialled from outside. */
  mapped: boolean;
  /**
   * This node's own `portMapping` setting is off, so it never asks its router (known of itself only:
   * never told to the peer). The reason then says so, and how to turn it on.
   */
  mappingOff?: boolean;
}

/** What turns port mapping on here, for the reasons below. */
export const MAPPING_ON_HINT =
  'port mapping is off on this node: start its agent with `--port-mapping` (or turn it on in the window’s settings) and its router may map a port';

export type DirectChance = 'dial' | 'simultaneous-open' | 'none' | 'unknown';

export interface RelayedExplanation {
  /** How a direct link could come up: dial an open side, meet by a simultaneous open, or not at all. */
  chance: DirectChance;
  why: string;
}

const open = (f: TraversalFacts) => f.mapped || f.nat === 'none';

/** Why a pair linked through a relay stays relayed, or how a direct link could still come up. */
export function explainRelayed(self: TraversalFacts, peer: TraversalFacts): RelayedExplanation {
  if (open(peer)) {
    return {
      chance: 'dial',
      why: peer.mapped
        ? 'the peer’s router maps a port for it: it can be dialled there'
        : 'the peer has a public address: it can be dialled',
    };
  }
  if (open(self)) {
    return {
      chance: 'dial',
      why: self.mapped
        ? 'this node’s router maps a port for it: the peer can dial it'
        : 'this node has a public address: the peer can dial it',
    };
  }
  if (self.nat === 'preserves-port' && peer.nat === 'preserves-port') {
    return { chance: 'simultaneous-open', why: 'both NATs keep ports: a simultaneous open can meet' };
  }
  // With mapping off here, the way out is this node's own setting: say that, not "either router".
  const mapping =
    self.mappingOff === true
      ? MAPPING_ON_HINT
      : 'a port mapping (UPnP or NAT-PMP) on either router would allow a direct link';
  if (self.nat === 'changes-port' && peer.nat === 'changes-port') {
    return { chance: 'none', why: `both NATs change the port per destination; ${mapping}` };
  }
  if (self.nat === 'changes-port' || peer.nat === 'changes-port') {
    const who = self.nat === 'changes-port' ? 'this node’s' : 'the peer’s';
    return {
      chance: 'none',
      why: `${who} NAT changes the port per destination, so the other side’s firewall drops its connection; ${mapping}`,
    };
  }
  return {
    chance: 'unknown',
    why: 'not enough is known of the NATs (each side needs observations from two relays)',
  };
}

/**
 * classifyNat, leaning where one destination is all there is (a node on one relay, the common case):
 * a port seen changed says the NAT changes ports (a NAT that keeps ports changes one only when it is
 * already taken, and a random port equals the local one once in tens of thousands), and a port seen
 * kept says it keeps them, tentatively. Both are worded as seen once; a wrong lean costs one failed
 * simultaneous open or one not tried, and a second relay settles it.
 */
export function classifyNatLeaning(observations: readonly NatObservation[]): NatVerdict {
  const verdict = classifyNat(observations);
  const known = observations.filter((o) => o.local !== undefined);
  if (verdict.kind !== 'unknown' || known.length === 0) return verdict;
  if (new Set(known.map((o) => o.destination)).size !== 1) return verdict;
  const publicAddress = known[0]!.address;
  if (known.every((o) => o.address === o.local!.address && o.port === o.local!.port)) {
    return { kind: 'none', publicAddress, why: 'the relay sees this machine’s own address and port: no NAT' };
  }
  if (known.every((o) => o.port === o.local!.port)) {
    return {
      kind: 'preserves-port',
      publicAddress,
      why: 'the NAT kept the local port toward the relay (one destination seen)',
    };
  }
  if (known.every((o) => o.port !== o.local!.port)) {
    return {
      kind: 'changes-port',
      publicAddress,
      why: 'the NAT gave the connection to the relay another port than the local one (one destination seen)',
    };
  }
  return verdict;
}
