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
import type { RefusalCode } from '../core/refusal-codes.js';
import { secureCircuit } from '../transport/e2e-link.js';
import { MAX_LINK_FRAME, type Link } from '../transport/link.js';
import { streamCircuit } from '../transport/stream-circuit.js';
import { describeRouteFailure, HOP_SERVICE, HOP_WORDS, type HopArgs } from '../protocol/hop-wire.js';
import type { ActivePath, ReadonlyPeerEntry } from './ports.js';
import { routeText } from '../core/routes.js';
import type { PeerRecord } from '../state/settings.js';

/** How long the hops' streams and the E2E handshake through them may take together, in ms. */
export const ROUTE_LINK_TIMEOUT_MS = 15_000;

/** Largest frame on a routed stream circuit: one sealed link frame (a record adds 17 bytes) with room. */
export const ROUTE_MAX_FRAME = MAX_LINK_FRAME + 1024;

export interface RouteDialDeps {
  identity: Identity;
  /** This node's name, for "hop b unreachable from NAME". */
  name(): string;
  peerEntry(fingerprint: string): ReadonlyPeerEntry | undefined;
  /** @throws ClawError('PEER_OFFLINE') saying why a peer has no path. */
  activePath(entry: ReadonlyPeerEntry): ActivePath;
}

/**
 * One attempt at the peer's saved route; undefined when it has none.
 * @throws ClawError naming the hop that failed: `hop c unreachable from b: …`, `hop b refused: …`
 */
export async function dialRoutePath(deps: RouteDialDeps, peer: PeerRecord): Promise<Link | undefined> {
  const hops = peer.route;
  if (!hops || hops.length === 0) return undefined;
  const nameOf = (fp: string) => deps.peerEntry(fp)?.record.name;
  const names = [...hops.map((fp) => routeText([fp], nameOf)), peer.name];
  const first = deps.peerEntry(hops[0]!);
  if (!first) {
    throw new ClawError('PEER_NOT_FOUND', `hop ${names[0]} is no longer a peer here; set the route again`);
  }
  let active: ActivePath;
  try {
    active = deps.activePath(first);
  } catch (err) {
    throw new ClawError(
      'PEER_OFFLINE',
      `hop ${names[0]} unreachable from ${deps.name()}: ${errorMessage(err)}`,
    );
  }
  const chain = [...hops.slice(1), peer.fingerprint];
  const args: HopArgs = { v: 1, origin: deps.identity.fingerprint, to: chain[0]!, then: chain.slice(1) };
  const deadline = Date.now() + ROUTE_LINK_TIMEOUT_MS;
  const stream = await active.mux
    .open(HOP_SERVICE, args, { timeoutMs: ROUTE_LINK_TIMEOUT_MS })
    .catch((err: unknown) => {
      if (!isClawError(err, 'STREAM_REJECTED')) {
        throw new ClawError(
          'PEER_OFFLINE',
          `hop ${names[0]} unreachable from ${deps.name()}: ${errorMessage(err)}`,
        );
      }
      const refusal = refusalOf(err);
      throw new ClawError('STREAM_REJECTED', describeRouteFailure(names, deps.name(), refusal, err.message));
    });
  const circuit = streamCircuit(stream, {
    peerId: peer.fingerprint,
    remote: `via ${routeText(hops, nameOf)}`,
    initiator: true,
    maxFrame: ROUTE_MAX_FRAME,
  });
  const admitted = admission(circuit, deadline);
  // Handled at once: it may settle while the handshake still runs (read below either way).
  admitted.catch(() => undefined);
  let link: Link | undefined;
  try {
    link = await secureCircuit(circuit, {
      identity: deps.identity,
      expectedPeer: peer.fingerprint,
      timeoutMs: Math.max(1, deadline - Date.now()),
      path: 'route',
    });
    await admitted;
    return link;
  } catch (err) {
    link?.close('route refused');
    // The route's peer (or a hop) refused after the handshake began: its reset names no one, the
    // origin puts its own names in. Anything else (a timeout, a broken handshake) as it came.
    const closed = await admitted.then(
      () => undefined,
      (e: unknown) => e,
    );
    const refused = refusedReset(closed) ?? refusedReset(err);
    if (!refused) throw err;
    throw new ClawError(
      'STREAM_REJECTED',
      describeRouteFailure(names, deps.name(), refused.code, refused.reason),
      { refusal: refused.code },
    );
  }
}

/** A reset carrying a refusal (RST with a code and a reason), as the route's stream ended with it. */
function refusedReset(err: unknown): { code: RefusalCode; reason: string } | undefined {
  if (!isClawError(err, 'STREAM_RESET')) return undefined;
  const code = refusalOf(err);
  if (code === undefined || err.peerReason === undefined) return undefined;
  return { code, reason: err.peerReason };
}

/**
 * Resolves once the route's peer has sent a record after its handshake reply: it checked who this
 * node is and let it in (its hello). Rejects with the circuit's end if that comes first: the route's
 * peer refuses an origin only after the handshake has proved it (acceptRouteCircuit), so that refusal
 * arrives as a reset of a stream whose handshake, on this side, already succeeded.
 */
function admission(circuit: Circuit, deadline: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let frames = 0;
    const done = (err?: Error) => {
      clearTimeout(timer);
      offFrame();
      offClose();
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(
      () =>
        done(new ClawError('TIMEOUT', `the route's peer did not answer within ${ROUTE_LINK_TIMEOUT_MS} ms`)),
      Math.max(1, deadline - Date.now()),
    );
    // The first frame is the handshake's reply; the second the first record of an admitted link.
    const offFrame = circuit.onFrame(() => {
      if (++frames === 2) done();
    });
    const offClose = circuit.onClose((err) =>
      done(err ?? new ClawError('LINK_CLOSED', "the route's peer closed the routed link")),
    );
  });
}

export interface RouteArrivalDeps {
  identity: Identity;
  log: Logger;
  /** Only peers link through routes: undefined to let `fingerprint` in, else why not. */
  refuse(fingerprint: string): string | undefined;
  attach(link: Link): void;
}

/**
 * A `hop-arrive` stream as a circuit: the handshake proves the origin the hop named. A refusal of the
 * proven origin goes back as a reset carrying its code, in HOP_WORDS (no name of this node's peers),
 * so each hop passes it up and the origin names this node (route-dialer's admission); a plain close
 * (a handshake that broke, a link that ended) stays a plain end.
 */
export function routeArrivalCircuit(
  stream: Parameters<typeof streamCircuit>[0],
  from: string,
  lastHopName: string,
): Circuit {
  const circuit = streamCircuit(stream, {
    peerId: from,
    remote: `via ${lastHopName}`,
    initiator: false,
    maxFrame: ROUTE_MAX_FRAME,
  });
  return {
    ...circuit,
    get closed() {
      return circuit.closed;
    },
    close: (reason, refusal) => {
      if (refusal === undefined) return circuit.close(reason);
      if (stream.destroyed) return;
      const words = refusal === 'PERMISSION_DENIED' ? HOP_WORDS.notPeer : HOP_WORDS.otherOrigin;
      stream.destroy(new ClawError('STREAM_RESET', words, { refusal }));
    },
  };
}

/** Answers the E2E handshake on an arrived route and puts the link to work. */
export async function acceptRouteCircuit(deps: RouteArrivalDeps, circuit: Circuit): Promise<void> {
  try {
    const link = await secureCircuit(circuit, {
      identity: deps.identity,
      timeoutMs: ROUTE_LINK_TIMEOUT_MS,
      path: 'route',
      verifyPeer: (fp) => {
        // Both answers only after the proof, and the same for an origin known here or not.
        if (fp !== circuit.claimedPeerId)
          throw new ClawError('UNKNOWN_PEER', HOP_WORDS.otherOrigin, { refusal: 'BAD_REQUEST' });
        const why = deps.refuse(fp);
        if (why) throw new ClawError('UNKNOWN_PEER', why, { refusal: 'PERMISSION_DENIED' });
      },
    });
    deps.attach(link);
  } catch (err) {
    deps.log.info(
      { from: circuit.claimedPeerId, via: circuit.relayUrl },
      `refused routed link: ${errorMessage(err)}`,
    );
    circuit.close(errorMessage(err), refusalOf(err));
  }
}
