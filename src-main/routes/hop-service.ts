/**
 * Every node's part in routes (docs/adr/0017-multi-hop-routes.md, docs/protocol.md §Routed links):
 * `hop` passes a stream on towards the next node for a peer allowed `relay` here, piping bytes it
 * cannot read; `hop-arrive` takes a routed link from a peer at the end of a route.
 *
 * What a hop tells the node before it is in HOP_WORDS (hop-wire.ts): the same answer whatever it
 * knows, naming none of its peers and no address. How many routed streams one peer may make this
 * node carry or answer is capped, so routes through it never take the streams it needs itself.
 */
import { ClawError, isClawError, refusalOf } from '../core/errors.js';
import type { Circuit } from '../transport/circuit.js';
import type { MuxStream } from '../mux/stream.js';
import { MAX_INBOUND_STREAMS } from '../mux/constants.js';
import { splice } from '../forwards/splice.js';
import {
  formatHopFailure,
  HOP_ARRIVE_SERVICE,
  HOP_SERVICE,
  HOP_WORDS,
  parseArriveArgs,
  parseHopArgs,
  passedUp,
  type HopArgs,
} from '../protocol/hop-wire.js';
import type { ActivePath, ReadonlyPeerEntry } from '../links/ports.js';
import { ROUTE_LINK_TIMEOUT_MS, routeArrivalCircuit } from '../links/route-dialer.js';
import type {
  ConnectionAdmission,
  HeldAdmission,
  ServedConnection,
  ServiceRegistry,
  ServiceRequest,
} from '../services/services.js';
import type { PeerRecord } from '../state/settings.js';

/**
 * `hop` streams one predecessor may have here at once, waiting for the next node or piping (64). Each
 * is one routed link through this node (a route's whole traffic is one stream), so 64 is more routes
 * through one neighbour than a small mesh has, and far below a link's MAX_INBOUND_STREAMS (1024).
 */
export const MAX_HOP_PIPES_PER_PREDECESSOR = 64;

/**
 * Streams this node opens towards one peer for other nodes' routes (`hop` and `hop-arrive`
 * together, waiting or piping): a quarter of the peer's MAX_INBOUND_STREAMS (256), so at least 768
 * stay for this node's own streams on its link there (its terminals and forwards on that peer). Before
 * this cap one peer allowed `relay` filled the link with 1,022 pipes and the node's own `term` failed.
 */
export const MAX_HOP_PIPES_PER_NEXT = MAX_INBOUND_STREAMS / 4;

/**
 * `hop-arrive` streams from one peer whose end-to-end handshake is still running here (64, a sixteenth
 * of the link's streams): each holds a stream up to ROUTE_LINK_TIMEOUT_MS and costs a handshake.
 */
export const MAX_PENDING_ARRIVALS_PER_PEER = 64;

/**
 * Of those, how many may name one origin (4). A route dials one link at a time; the cap is per origin
 * named, so a peer allowed `relay` on the last hop, flooding through it in its own name, holds 4 and
 * leaves that hop's other origins their routes here (it cannot name them: the hop checks the origin).
 */
export const MAX_PENDING_ARRIVALS_PER_ORIGIN = 4;

export interface HopDeps {
  readonly selfFingerprint: string;
  peer(fingerprint: string): PeerRecord | undefined;
  peerEntry(fingerprint: string): ReadonlyPeerEntry | undefined;
  /** @throws ClawError('PEER_OFFLINE') saying why a peer has no path. */
  activePath(entry: ReadonlyPeerEntry): ActivePath;
  /**
   * A routed link arrived: answer its E2E handshake (route-dialer.ts acceptRouteCircuit).
   * @returns a promise settled once the handshake is over, either way.
   */
  arrive(circuit: Circuit): Promise<void>;
}

/** Counts per fingerprint, each up to a cap: a slot is taken before the first await, given back once. */
class Slots {
  private readonly held = new Map<string, number>();
  constructor(private readonly cap: number) {}

  /** @returns a function giving the slot back (idempotent), or undefined when `key` holds `cap`. */
  take(key: string): (() => void) | undefined {
    const n = this.held.get(key) ?? 0;
    if (n >= this.cap) return undefined;
    this.held.set(key, n + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}

interface HopState {
  fromPredecessor: Slots;
  towardsNext: Slots;
}

/**
 * Registers `hop` and `hop-arrive`. Each pipe is listed as a `chain-hop` connection and held under
 * the grants it depends on (services/services.ts): its predecessor or origin losing `relay` here (or no
 * longer being a peer) cuts it at once, as a terminal is when `terminal` is taken away.
 */
export function registerHopServices(services: Pick<ServiceRegistry, 'register'>, deps: HopDeps): void {
  const state: HopState = {
    fromPredecessor: new Slots(MAX_HOP_PIPES_PER_PREDECESSOR),
    towardsNext: new Slots(MAX_HOP_PIPES_PER_NEXT),
  };
  const arriving = {
    perPeer: new Slots(MAX_PENDING_ARRIVALS_PER_PEER),
    perOrigin: new Slots(MAX_PENDING_ARRIVALS_PER_ORIGIN),
  };
  services.register(HOP_SERVICE, {
    // Each hop passed on is one connection, listed as the stream is accepted.
    admits: 'connection',
    permission: 'relay',
    noun: 'relaying',
    kind: 'chain-hop',
    // A routed link's own heartbeats travel in it too: whether it is used is that link's business.
    background: true,
    handle: (req, served) => {
      const give = state.fromPredecessor.take(req.peer.fingerprint);
      if (!give) return req.reject('TOO_MANY_STREAMS', HOP_WORDS.busy);
      passOn(deps, req, served, state)
        // Not expected (passOn answers every failure itself); the predecessor still gets an answer.
        .catch(() => req.reject('SERVICE_FAILED', HOP_WORDS.refused))
        .finally(give);
    },
  });
  // Any peer may deliver a routed link, naming any origin: the handshake then proves the origin, and
  // only a peer is let in (acceptRouteCircuit). Refusing an unknown origin here, before the proof,
  // told any peer which fingerprints this node knows.
  services.register(HOP_ARRIVE_SERVICE, {
    permission: null,
    noun: 'routed links',
    // A link, not a connection: what it carries is listed by whoever uses it.
    admits: 'held',
    background: true,
    handle: (req, served) => arrive(req, served, deps, arriving),
  });
}

/** The origin, when it is not the predecessor, must be allowed `relay` here too (the ADR's trust model). */
function mayRelayFor(deps: HopDeps, req: ServiceRequest, origin: string): boolean {
  return origin === req.peer.fingerprint || deps.peer(origin)?.allow.includes('relay') === true;
}

async function passOn(
  deps: HopDeps,
  req: ServiceRequest,
  served: ConnectionAdmission,
  state: HopState,
): Promise<void> {
  const args = parseHopArgs(req.args);
  if ('problem' in args) return req.reject('BAD_REQUEST', args.problem);
  const self = deps.selfFingerprint;
  if ([args.origin, args.to, ...args.then].includes(self) || args.to === req.peer.fingerprint) {
    return req.reject('BAD_REQUEST', HOP_WORDS.loop);
  }
  // One answer whether the origin is unknown here or a peer not allowed `relay`.
  if (!mayRelayFor(deps, req, args.origin)) return req.reject('PERMISSION_DENIED', HOP_WORDS.origin);
  const unreachable = (message: string) =>
    req.reject('SERVICE_FAILED', formatHopFailure({ depth: 1, kind: 'unreachable', message }));
  const next = deps.peerEntry(args.to);
  let active: ActivePath;
  try {
    // One answer whether the next node is unknown here or a peer without a link now.
    if (!next) return unreachable(HOP_WORDS.next);
    active = deps.activePath(next);
  } catch {
    return unreachable(HOP_WORDS.next);
  }
  const give = state.towardsNext.take(args.to);
  if (!give) return req.reject('TOO_MANY_STREAMS', HOP_WORDS.busy);
  try {
    await pipeTowards(deps, req, served, { args, next, active });
  } finally {
    give();
  }
}

async function pipeTowards(
  deps: HopDeps,
  req: ServiceRequest,
  served: ConnectionAdmission,
  { args, next, active }: { args: HopArgs; next: ReadonlyPeerEntry; active: ActivePath },
): Promise<void> {
  let downstream: MuxStream;
  try {
    const [to, ...then] = args.then;
    downstream = await (to === undefined
      ? active.mux.open(HOP_ARRIVE_SERVICE, { v: 1, from: args.origin }, { timeoutMs: ROUTE_LINK_TIMEOUT_MS })
      : active.mux.open(HOP_SERVICE, { ...args, to, then }, { timeoutMs: ROUTE_LINK_TIMEOUT_MS }));
  } catch (err) {
    if (!isClawError(err, 'STREAM_REJECTED')) {
      return req.reject(
        'SERVICE_FAILED',
        formatHopFailure({ depth: 1, kind: 'unreachable', message: HOP_WORDS.next }),
      );
    }
    const code = refusalOf(err);
    return req.reject(code ?? 'SERVICE_FAILED', passedUp(err.message, code));
  }
  let upstream: MuxStream | undefined;
  let listed: ServedConnection;
  try {
    // Listed as the hop it is (`connections`): from the predecessor to the next node, ciphertext only.
    ({ stream: upstream, connection: listed } = served.accept({
      from: req.peer.name,
      to: next.record.name,
      // Cut here (HOP_WORDS.closed) or for a grant taken away (HOP_WORDS.gone): in this hop's words,
      // which name no node.
      close: (reason, refusal) => {
        const why = refusal
          ? new ClawError('STREAM_RESET', reason, { refusal })
          : new ClawError('STREAM_RESET', HOP_WORDS.closed);
        upstream?.destroy(why);
        downstream.destroy(why);
      },
      // The origin, when it is not the predecessor, must still be allowed `relay` here too.
      recheck: (record) =>
        record?.allow.includes('relay') === true && mayRelayFor(deps, req, args.origin)
          ? undefined
          : HOP_WORDS.gone,
    }));
  } catch {
    // The predecessor gave up meanwhile.
    downstream.destroy();
    return;
  }
  // Bytes only: the E2E channel runs from the origin to the route's peer, through this pipe.
  passResets(upstream, downstream);
  await splice(upstream, downstream, {
    bytesOut: (n) => listed.bytesOut(n),
    bytesIn: (n) => listed.bytesIn(n),
  });
  listed.end();
}

/**
 * A pipe's reset goes on in this hop's words, before splice would pass the error itself (splice
 * leaves a stream already destroyed alone): the successor's refusal towards the origin one hop deeper
 * and in HOP_WORDS, so a refusal after the handshake (the route's peer does not know the origin)
 * reaches the origin named; this hop's own link failures as HOP_WORDS.lost, without its peer's name
 * or address; towards the route's peer, nothing but that the route's near side closed.
 */
function passResets(upstream: MuxStream, downstream: MuxStream): void {
  downstream.once('error', (err: Error) => {
    if (upstream.destroyed) return;
    const code = refusalOf(err);
    const peerReason = isClawError(err, 'STREAM_RESET') ? err.peerReason : undefined;
    const reason =
      peerReason !== undefined
        ? passedUp(peerReason, code)
        : formatHopFailure({ depth: 1, kind: 'unreachable', message: HOP_WORDS.lost });
    upstream.destroy(new ClawError('STREAM_RESET', reason, code ? { refusal: code } : undefined));
  });
  upstream.once('error', () => {
    if (!downstream.destroyed)
      downstream.destroy(new ClawError('STREAM_RESET', 'the route closed before this hop'));
  });
}

function arrive(
  req: ServiceRequest,
  served: HeldAdmission,
  deps: HopDeps,
  arriving: { perPeer: Slots; perOrigin: Slots },
): void {
  const args = parseArriveArgs(req.args);
  if ('problem' in args) return req.reject('BAD_REQUEST', args.problem);
  // Counted by the origin named, known here or not: the answer says nothing about which it is.
  const givePeer = arriving.perPeer.take(req.peer.fingerprint);
  const giveOrigin = givePeer && arriving.perOrigin.take(`${req.peer.fingerprint}/${args.from}`);
  if (!givePeer || !giveOrigin) {
    givePeer?.();
    return req.reject('TOO_MANY_STREAMS', HOP_WORDS.busy);
  }
  const give = () => {
    givePeer();
    giveOrigin();
  };
  let stream: MuxStream;
  try {
    stream = served.hold();
  } catch {
    give();
    return;
  }
  // arrive says its own refusals; whatever becomes of it, the places it took are given back.
  deps.arrive(routeArrivalCircuit(stream, args.from, req.peer.name)).then(give, (err: unknown) => {
    stream.destroy(err instanceof Error ? err : undefined);
    give();
  });
}
