/**
 * The two ends of a routed link (docs/adr/0017-multi-hop-routes.md): the origin opens a `hop` stream
 * on its first hop, which the hops pass on to the route's peer, and runs the E2E handshake with that
 * peer over it; the peer takes the `hop-arrive` stream as a circuit and answers the handshake. The
 * hops between only ever move the handshake and the sealed records.
 */
import type { Logger } from 'pino';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import type { Identity } from '../crypto/identity.js';
import type { Circuit } from '../transport/circuit.js';
import { secureCircuit } from '../transport/e2e-link.js';
import { MAX_LINK_FRAME, type Link } from '../transport/link.js';
import { streamCircuit } from '../transport/stream-circuit.js';
import { describeRouteFailure, HOP_SERVICE, type HopArgs } from './hop-wire.js';
import type { ActivePath, PeerEntry } from '../agent/ports.js';
import { routeText } from './routes.js';
import type { PeerRecord } from '../agent/settings.js';

/** How long the hops' streams and the E2E handshake through them may take together, in ms. */
export const ROUTE_LINK_TIMEOUT_MS = 15_000;

/** Largest frame on a routed stream circuit: one sealed link frame (a record adds 17 bytes) with room. */
export const ROUTE_MAX_FRAME = MAX_LINK_FRAME + 1024;

export interface RouteDialHost {
  identity: Identity;
  /** This node's name, for "hop b unreachable from NAME". */
  name(): string;
  peerEntry(fingerprint: string): PeerEntry | undefined;
  /** @throws ClawError('PEER_OFFLINE') saying why a peer has no path. */
  activePath(entry: PeerEntry): ActivePath;
}

/**
 * One attempt at the peer's saved route; undefined when it has none.
 * @throws ClawError naming the hop that failed: `hop c unreachable from b: …`, `hop b refused: …`
 */
export async function dialRoutePath(host: RouteDialHost, peer: PeerRecord): Promise<Link | undefined> {
  const hops = peer.route;
  if (!hops || hops.length === 0) return undefined;
  const nameOf = (fp: string) => host.peerEntry(fp)?.record.name;
  const names = [...hops.map((fp) => routeText([fp], nameOf)), peer.name];
  const first = host.peerEntry(hops[0]!);
  if (!first) {
    throw new ClawError('PEER_NOT_FOUND', `hop ${names[0]} is no longer a peer here; set the route again`);
  }
  let active: ActivePath;
  try {
    active = host.activePath(first);
  } catch (err) {
    throw new ClawError(
      'PEER_OFFLINE',
      `hop ${names[0]} unreachable from ${host.name()}: ${errorMessage(err)}`,
    );
  }
  const chain = [...hops.slice(1), peer.fingerprint];
  const args: HopArgs = { v: 1, origin: host.identity.fingerprint, to: chain[0]!, then: chain.slice(1) };
  const deadline = Date.now() + ROUTE_LINK_TIMEOUT_MS;
  const stream = await active.mux
    .open(HOP_SERVICE, args, { timeoutMs: ROUTE_LINK_TIMEOUT_MS })
    .catch((err: unknown) => {
      if (!isClawError(err, 'STREAM_REJECTED')) {
        throw new ClawError(
          'PEER_OFFLINE',
          `hop ${names[0]} unreachable from ${host.name()}: ${errorMessage(err)}`,
        );
      }
      const refusal = refusalOf(err);
      throw new ClawError('STREAM_REJECTED', describeRouteFailure(names, host.name(), refusal, err.message));
    });
  const circuit = streamCircuit(stream, {
    peerId: peer.fingerprint,
    remote: `via ${routeText(hops, nameOf)}`,
    initiator: true,
    maxFrame: ROUTE_MAX_FRAME,
  });
  return secureCircuit(circuit, {
    identity: host.identity,
    expectedPeer: peer.fingerprint,
    timeoutMs: Math.max(1, deadline - Date.now()),
    path: 'route',
  });
}

export interface RouteArrivalHost {
  identity: Identity;
  log: Logger;
  /** Only peers link through routes: undefined to let `fingerprint` in, else why not. */
  refuse(fingerprint: string): string | undefined;
  attach(link: Link): void;
}

/** A `hop-arrive` stream as a circuit: the handshake proves the origin the hop named. */
export function routeArrivalCircuit(
  stream: Parameters<typeof streamCircuit>[0],
  from: string,
  lastHopName: string,
): Circuit {
  return streamCircuit(stream, {
    peerId: from,
    remote: `via ${lastHopName}`,
    initiator: false,
    maxFrame: ROUTE_MAX_FRAME,
  });
}

/** Answers the E2E handshake on an arrived route and puts the link to work. */
export async function acceptRouteCircuit(host: RouteArrivalHost, circuit: Circuit): Promise<void> {
  try {
    const link = await secureCircuit(circuit, {
      identity: host.identity,
      timeoutMs: ROUTE_LINK_TIMEOUT_MS,
      path: 'route',
      verifyPeer: (fp) => {
        if (fp !== circuit.claimedPeerId)
          throw new ClawError('UNKNOWN_PEER', 'the route named another origin than the one that linked', {
            refusal: 'BAD_REQUEST',
          });
        const why = host.refuse(fp);
        if (why) throw new ClawError('UNKNOWN_PEER', why, { refusal: 'PERMISSION_DENIED' });
      },
    });
    host.attach(link);
  } catch (err) {
    host.log.info(
      { from: circuit.claimedPeerId, via: circuit.relayUrl },
      `refused routed link: ${errorMessage(err)}`,
    );
    circuit.close(errorMessage(err), refusalOf(err));
  }
}
