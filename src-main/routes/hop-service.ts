/**
 * Every node's part in routes (docs/adr/0017-multi-hop-routes.md, docs/protocol.md §Routed links):
 * `hop` passes a stream on towards the next node for a peer allowed `relay` here, piping bytes it
 * cannot read; `hop-arrive` takes a routed link from a peer at the end of a route.
 */
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import type { Circuit } from '../transport/circuit.js';
import type { MuxStream } from '../mux/stream.js';
import { splice } from '../forwards/splice.js';
import {
  formatHopFailure,
  HOP_ARRIVE_SERVICE,
  HOP_SERVICE,
  parseArriveArgs,
  parseHopArgs,
  passedUp,
} from './hop-wire.js';
import type { ActivePath, PeerEntry } from '../agent/ports.js';
import { ROUTE_LINK_TIMEOUT_MS, routeArrivalCircuit } from './route-dialer.js';
import type { ServiceRegistry, ServiceRequest } from '../agent/services.js';
import type { ConnectionOpener } from '../connections/connection-table.js';
import type { PeerRecord } from '../agent/settings.js';

export interface HopHost {
  readonly selfFingerprint: string;
  name(): string;
  peer(fingerprint: string): PeerRecord | undefined;
  peerEntry(fingerprint: string): PeerEntry | undefined;
  /** @throws ClawError('PEER_OFFLINE') saying why a peer has no path. */
  activePath(entry: PeerEntry): ActivePath;
  /** A routed link arrived: answer its E2E handshake (route-dialer.ts acceptRouteCircuit). */
  arrive(circuit: Circuit): void;
  /** Calls `listener` after every change to the saved peers; returns a disposer. */
  onPeersChanged(listener: () => void): () => void;
  /** Where each pipe is listed while it lasts (`connections`, kind `chain-hop`); absent in tests. */
  readonly connections?: ConnectionOpener;
}

/** A stream this node pipes on, with whom it pipes for: checked again whenever the peers change. */
interface Pipe {
  from: string;
  origin: string;
  streams: readonly MuxStream[];
}

/**
 * Registers `hop` and `hop-arrive`. A pipe whose predecessor or origin loses `relay` here (or stops
 * being a peer) is cut at once, as a terminal is when `terminal` is taken away.
 * @returns a disposer that stops following the peers.
 */
export function registerHopServices(services: Pick<ServiceRegistry, 'register'>, host: HopHost): () => void {
  const pipes = new Set<Pipe>();
  const mayRelay = (fp: string) => host.peer(fp)?.allow.includes('relay') === true;
  const stopFollowing = host.onPeersChanged(() => {
    for (const pipe of pipes) {
      if (mayRelay(pipe.from) && mayRelay(pipe.origin)) continue;
      pipes.delete(pipe);
      const why = new ClawError('STREAM_RESET', `${host.name()} no longer relays for this route`);
      for (const s of pipe.streams) s.destroy(why);
    }
  });
  services.register(HOP_SERVICE, {
    permission: 'relay',
    noun: 'relaying',
    handle: (req) => void passOn(host, req, pipes),
  });
  // Any peer may deliver a routed link; the origin it names must be a peer too, and proves it.
  services.register(HOP_ARRIVE_SERVICE, {
    permission: null,
    noun: 'routed links',
    handle: (req) => arrive(host, req),
  });
  return stopFollowing;
}

/** The origin, when it is not the predecessor, must be allowed `relay` here too (the ADR's trust model). */
function originProblem(host: HopHost, req: ServiceRequest, origin: string): string | undefined {
  if (origin === req.peer.fingerprint) return undefined;
  const record = host.peer(origin);
  const self = host.name();
  if (!record)
    return `permission denied: ${self} does not know ${abbreviateFingerprint(origin)}, the route's origin`;
  if (record.allow.includes('relay')) return undefined;
  return `permission denied: ${self} does not allow relaying for ${record.name} (its owner can run \`clawbridge peers allow ${record.name} relay\` there)`;
}

async function passOn(host: HopHost, req: ServiceRequest, pipes: Set<Pipe>): Promise<void> {
  const args = parseHopArgs(req.args);
  if ('problem' in args) return req.reject('BAD_REQUEST', args.problem);
  const self = host.selfFingerprint;
  if ([args.origin, args.to, ...args.then].includes(self) || args.to === req.peer.fingerprint) {
    return req.reject('BAD_REQUEST', 'a route may not pass a node twice');
  }
  const denied = originProblem(host, req, args.origin);
  if (denied) return req.reject('PERMISSION_DENIED', denied);
  const next = host.peerEntry(args.to);
  if (!next) {
    return req.reject('BAD_REQUEST', `${host.name()} has no peer ${abbreviateFingerprint(args.to)}`);
  }
  const unreachable = (message: string) =>
    req.reject('SERVICE_FAILED', formatHopFailure({ depth: 1, kind: 'unreachable', message }));
  let downstream: MuxStream;
  try {
    const active = host.activePath(next);
    const [to, ...then] = args.then;
    downstream = await (to === undefined
      ? active.mux.open(HOP_ARRIVE_SERVICE, { v: 1, from: args.origin }, { timeoutMs: ROUTE_LINK_TIMEOUT_MS })
      : active.mux.open(HOP_SERVICE, { ...args, to, then }, { timeoutMs: ROUTE_LINK_TIMEOUT_MS }));
  } catch (err) {
    if (!isClawError(err, 'STREAM_REJECTED')) return unreachable(errorMessage(err));
    return req.reject(refusalOf(err) ?? 'SERVICE_FAILED', passedUp(err.message));
  }
  let upstream: MuxStream;
  try {
    upstream = req.accept();
  } catch {
    // The predecessor gave up meanwhile.
    downstream.destroy();
    return;
  }
  // Bytes only: the E2E channel runs from the origin to the route's peer, through this pipe.
  const pipe: Pipe = { from: req.peer.fingerprint, origin: args.origin, streams: [upstream, downstream] };
  pipes.add(pipe);
  // Listed as the hop it is (`connections`): from the predecessor to the next node, ciphertext only.
  const listed = host.connections?.open({
    kind: 'chain-hop',
    peer: { name: req.peer.name, fingerprint: req.peer.fingerprint },
    from: req.peer.name,
    to: next.record.name,
    close: (reason) => {
      const why = new ClawError('STREAM_RESET', reason);
      upstream.destroy(why);
      downstream.destroy(why);
    },
  });
  await splice(upstream, downstream, {
    bytesOut: (n) => listed?.bytesOut(n),
    bytesIn: (n) => listed?.bytesIn(n),
  });
  listed?.end();
  pipes.delete(pipe);
}

function arrive(host: HopHost, req: ServiceRequest): void {
  const args = parseArriveArgs(req.args);
  if ('problem' in args) return req.reject('BAD_REQUEST', args.problem);
  if (!host.peer(args.from)) {
    return req.reject(
      'PERMISSION_DENIED',
      `${host.name()} has no peer ${abbreviateFingerprint(args.from)}: only peers link through routes`,
    );
  }
  let stream: MuxStream;
  try {
    stream = req.accept();
  } catch {
    return;
  }
  host.arrive(routeArrivalCircuit(stream, args.from, req.peer.name));
}
