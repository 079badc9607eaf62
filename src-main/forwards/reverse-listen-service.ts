/**
 * The peer's side of reverse forwards (ADR 0018; docs/mux-protocol.md §Reverse forwards): a peer with
 * permission `listen` (checked by the service registry before this runs) asks this node to listen on
 * HOST:PORT. The address must pass the peer's `listenOn` limits, one other machines can reach needs
 * the owner's consent (`allowRemoteReverseListen`), and a peer holds at most
 * MAX_REVERSE_LISTENERS_PER_PEER listeners (a request being set up counts, so a burst of them cannot
 * all pass the check). Each connection accepted there goes back to the peer as a `reverse-connect`
 * stream. The listener lives exactly as long as its `reverse-listen` stream: the forward removed or
 * switched off, the link lost, the permission or consent taken away — it closes, so nothing stays
 * bound here. Its accepted connections are listed in `connections` (`reverse-served`) and checked
 * against the settings like the listeners, including those a listener closed for a lost link left
 * waiting for their peer (ADR 0023).
 *
 * A UDP listener (`protocol: 'udp'`) is the local UDP forward's (udp-forward.ts): each client address
 * is a flow, and each flow a `reverse-connect` stream back to the peer, which is the exit (ADR 0019).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { NodeStateReader } from '../state/node-state.js';
import type { PeerDirectory, PeerStreams } from '../links/ports.js';
import type {
  ListenerAdmission as ServedAdmission,
  ServiceRegistry,
  ServiceRequest,
} from '../services/services.js';
import type { PeerRecord, Settings } from '../state/settings.js';
import { describeZodError } from '../core/zod-error.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { PeerListenerInfo } from './forwards-contract.js';
import type { MuxStream } from '../mux/stream.js';
import { allowedAddresses } from './destination-policy.js';
import { awaitConnectResult, classifyOpenError } from './dialer.js';
import { clientOf } from './front-end.js';
import { isLoopbackHost, listenTcp, type AcceptedConnection, type TcpListener } from './listener.js';
import {
  encodeReverseAnswer,
  MAX_REVERSE_LISTENERS_PER_PEER,
  REVERSE_CONNECT_SERVICE,
  REVERSE_LISTEN_SERVICE,
  reverseListenArgsSchema,
  type ReverseListenArgs,
} from './reverse-protocol.js';
import { openResumable } from './resumable-open.js';
import { MAX_REVERSE_CONNECTIONS_PER_FORWARD } from './reverse-carrier.js';
import { splice } from './splice.js';
import { STREAM_RESUME_MS } from './stream-resumes.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { AuditInput } from '../audit/audit-events.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';
import { listenUdp } from './udp-forward.js';
import { background, inBackground } from '../core/background.js';

export interface ReverseListenDeps {
  readonly name: string;
  readonly log: Logger;
  readonly state: Pick<NodeStateReader, 'get' | 'peer'>;
  readonly services: Pick<ServiceRegistry, 'register'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'> & Pick<PeerStreams, 'openStream' | 'activePath'>;
  /** How long an accepted connection waits for its peer after its link died, in ms (ADR 0023). */
  readonly resumeMs?: number;
  /** Each listener opened, refused and closed here is recorded (audit/). */
  readonly audit?: AuditSink;
}

/** A refusal as it crosses the wire: a code for programs, one plain line for people. */
export interface ListenRefusal {
  code: RefusalCode;
  reason: string;
}

/**
 * Why this node will not listen on `args` for `peer` (undefined: it may). Pure: the settings decide.
 * Reasons name what the owner of this node can do, in plain words (they cross the wire as text).
 */
export function listenRefusal(
  self: string,
  settings: Pick<Settings, 'allowRemoteReverseListen'>,
  peer: Pick<PeerRecord, 'name' | 'allow' | 'listenOn'>,
  args: Pick<ReverseListenArgs, 'host' | 'port'>,
  held: number,
): ListenRefusal | undefined {
  const at = formatHostPort(args.host, args.port);
  if (!peer.allow.includes('listen')) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} does not allow listening for ${peer.name}; its owner can allow it (peers allow ${peer.name} listen)`,
    };
  }
  if (!isLoopbackHost(args.host) && !settings.allowRemoteReverseListen) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} lets peers listen on its loopback addresses only, not ${at}; its owner can allow others (agent --allow-remote-reverse-listen)`,
    };
  }
  if (peer.listenOn && allowedAddresses(peer.listenOn, args.host, args.port, [args.host]).length === 0) {
    return {
      code: 'PERMISSION_DENIED',
      reason: `${self} does not allow ${peer.name} to listen on ${at}; its owner can widen the limits (peers limit ${peer.name} --listen PATTERN)`,
    };
  }
  if (held >= MAX_REVERSE_LISTENERS_PER_PEER) {
    return {
      code: 'TOO_MANY_STREAMS',
      reason: `${self} already listens on ${MAX_REVERSE_LISTENERS_PER_PEER} addresses for ${peer.name}, the most one peer may have; remove one of its reverse forwards first`,
    };
  }
  return undefined;
}

/** One listener held for a peer. */
interface Held {
  peer: string;
  peerName: string;
  id: string;
  args: ReverseListenArgs;
  listener: Pick<TcpListener, 'address' | 'close'>;
  stream: MuxStream;
}

/** One TCP connection a listener accepted for a peer, with the request of the listener that took it. */
interface Served {
  peer: string;
  id: string;
  args: ReverseListenArgs;
  /** Ends it: the client's socket and the stream to the peer (which learns `reason`). */
  cut(reason: string): void;
}

/**
 * Why a connection or listener for a peer's request `args` may no longer stay open under its record
 * `record` (undefined: removed), if it may not.
 */
function revoked(
  deps: ReverseListenDeps,
  record: PeerRecord | undefined,
  args: ReverseListenArgs,
): string | undefined {
  if (!record) return `${deps.name} removed this node as a peer`;
  // Held already: only what the settings say counts here, not the cap.
  return listenRefusal(deps.name, deps.state.get(), record, args, 0)?.reason;
}

/** What serving one request shares with the others: the listeners, their connections, the cap. */
interface Listening {
  held: Set<Held>;
  served: Set<Served>;
  /** Each accepted TCP connection's entry in `served`, by its socket (to evict one at the cap). */
  bySocket: WeakMap<Socket, Served>;
  /** Requests of each peer (by fingerprint) that passed the cap and are binding now. */
  binding: Map<string, number>;
  close(h: Held, why: string, keep?: boolean): Promise<void>;
  /** Cuts the connections `which` picks, with `why`. */
  cut(which: (c: Served) => boolean, why: string): void;
}

/** The reverse-listen service as its owner holds it: what it listens on now, and its stop. */
export interface ReverseListening {
  /** The ports listened on for peers now, each with its open connections. */
  listeners(): PeerListenerInfo[];
  /** Closes every listener and connection; the ports are free once it resolves. */
  stop(): Promise<void>;
}

/**
 * Registers `reverse-listen` (permission `listen`). Listeners the settings no longer allow close at
 * once, and so do their connections, also those of a listener already closed: each is held under the
 * peer's grant by the service registry (services/services.ts), which follows the settings.
 */
export function registerReverseListenService(deps: ReverseListenDeps): ReverseListening {
  const held = new Set<Held>();
  // Accepted TCP connections, across their listener's incarnations: they outlive a listener closed
  // because its link was lost (their streams resume, ADR 0023) and end when the forward's listener
  // closes for good, when asking for it again is refused, or when the settings no longer allow it.
  const served = new Set<Served>();
  const cut = (which: (c: Served) => boolean, why: string) => {
    for (const c of [...served]) if (which(c)) c.cut(why);
  };
  /** `keep`: the link went (or the forward asked again on another): its connections carry on. */
  const close = (h: Held, why: string, keep = false): Promise<void> => {
    if (!held.delete(h)) return Promise.resolve();
    deps.log.info({ peer: h.peer, listen: h.listener.address }, `reverse listener closed: ${why}`);
    audit(deps, h.peerName, h.peer, h.listener.address, 'closed', 'ok', why);
    h.stream.destroy();
    if (!keep) cut((c) => c.peer === h.peer && c.id === h.id, why);
    return h.listener.close(keep);
  };
  const listening: Listening = { held, served, bySocket: new WeakMap(), binding: new Map(), close, cut };
  deps.services.register(REVERSE_LISTEN_SERVICE, {
    permission: 'listen',
    noun: 'listening',
    // A listener is no connection; what it accepts is (`reverse-served`, children of its admission).
    admits: 'listener',
    // Its refusals are `listener` lines of their own (audit/audit-noise.ts keeps them in check).
    recordsRefusals: true,
    // It stands open while the forward is saved; each connection it brings (reverse-connect) is use.
    background: true,
    handle: (req, admission) => serve(deps, req, admission, listening),
  });
  return {
    listeners: () =>
      [...held].map((h) => ({
        peer: deps.state.peer(h.peer)?.name ?? h.peerName,
        peerFingerprint: h.peer,
        listen: h.listener.address,
        protocol: h.args.protocol ?? 'tcp',
        open: [...served].filter((c) => c.peer === h.peer && c.id === h.id).length,
      })),
    stop: async () => {
      // The ports are free once this resolves: `clawbridge stop` waits for it.
      await Promise.all([...held].map((h) => close(h, 'agent stopping')));
      cut(() => true, 'agent stopping');
    },
  };
}

async function serve(
  deps: ReverseListenDeps,
  req: ServiceRequest,
  admission: ServedAdmission,
  on: Listening,
): Promise<void> {
  const parsed = reverseListenArgsSchema().safeParse(req.args);
  if (!parsed.success) {
    return req.reject('BAD_REQUEST', `bad reverse-listen arguments: ${describeZodError(parsed.error)}`);
  }
  const args = parsed.data;
  const fp = req.peer.fingerprint;
  const record = deps.state.peer(fp);
  if (!record) return req.reject('REMOVED', `removed as a peer by ${deps.name}`);
  // The same forward asking again (its old stream on a link that is going away): the new one wins.
  // The old listener leaves the count now; its port is free once `replaced` resolves.
  const again = [...on.held].filter((h) => h.peer === fp && h.id === args.id);
  const replaced = Promise.all(again.map((h) => on.close(h, 'asked again', true)));
  // Connections an old listener of this forward left (closed for a lost link, or just now) are the
  // forward's only while it listens here: a request that fails ends them, so a peer cannot keep them
  // past a revocation by asking again for what is refused.
  const orphans = (why: string) => {
    if ([...on.held].some((h) => h.peer === fp && h.id === args.id)) return;
    on.cut((c) => c.peer === fp && c.id === args.id, why);
  };
  // The cap is checked and a place taken in this same turn, before anything is awaited.
  const binding = on.binding.get(fp) ?? 0;
  const count = [...on.held].filter((h) => h.peer === fp).length + binding;
  const refusal = listenRefusal(deps.name, deps.state.get(), record, args, count);
  const wanted = `${formatHostPort(args.host, args.port)}${args.protocol === 'udp' ? ' (UDP)' : ''}`;
  if (refusal) {
    audit(deps, req.peer.name, fp, wanted, 'opened', 'refused', refusal.reason, req);
    orphans(refusal.reason);
    return req.reject(refusal.code, refusal.reason);
  }
  on.binding.set(fp, binding + 1);
  let placed = true;
  const release = () => {
    if (!placed) return;
    placed = false;
    const n = (on.binding.get(fp) ?? 1) - 1;
    if (n > 0) on.binding.set(fp, n);
    else on.binding.delete(fp);
  };
  const log = deps.log.child({ service: REVERSE_LISTEN_SERVICE, peer: req.peer.name });
  let listener: Held['listener'];
  try {
    await replaced;
    listener =
      args.protocol === 'udp'
        ? await listenUdpBack(deps, admission, args, log)
        : await listenTcp(
            args.host,
            args.port,
            (socket, accepted) =>
              background(
                bridge(deps, admission, { fp, name: req.peer.name, args }, socket, accepted, on, log),
                (err) => {
                  log.warn(`reverse connection failed: ${errorMessage(err)}`);
                  socket.destroy();
                },
              ),
            {
              // As many as the forward's owner carries: more would only be refused there.
              maxConnections: MAX_REVERSE_CONNECTIONS_PER_FORWARD,
              // At the cap, a connection its target has not answered yet makes room for a new one
              // (a client that sends a byte now and then, or nothing, holds no place for long); one
              // that was answered carries someone's data and is never ended for a newcomer.
              policy: 'evict',
              evict: (socket) => {
                const c = on.bySocket.get(socket);
                if (c)
                  c.cut(`${deps.name}'s listener made room for a new connection: this one had no answer yet`);
                else if (!socket.destroyed) socket.resetAndDestroy();
              },
            },
          );
  } catch (err) {
    release();
    audit(deps, req.peer.name, fp, wanted, 'opened', 'failed', errorMessage(err), req);
    const why = `${deps.name} cannot listen: ${errorMessage(err)}`;
    orphans(why);
    return req.reject('SERVICE_FAILED', why);
  }
  release();
  // The settings may have changed while it bound: what they no longer allow does not start.
  const late = revoked(deps, deps.state.peer(fp), args);
  if (late) {
    await listener.close();
    audit(deps, req.peer.name, fp, wanted, 'opened', 'refused', late, req);
    orphans(late);
    return req.reject('PERMISSION_DENIED', late);
  }
  let stream: MuxStream;
  try {
    // Held under the grant: the settings no longer allowing it (the permission, the address limits,
    // the consent to listen beyond loopback) close it, with its connections.
    stream = admission.hold({
      recheck: (now) => revoked(deps, now, args),
      close: (reason) => {
        for (const h of [...on.held])
          if (h.stream === stream) inBackground(on.close(h, reason), log, 'closing a reverse listener');
      },
    });
  } catch (err) {
    log.info(`reverse-listen gone before it was accepted: ${errorMessage(err)}`);
    await listener.close();
    orphans(errorMessage(err));
    return;
  }
  const holding: Held = { peer: fp, peerName: req.peer.name, id: args.id, args, listener, stream };
  on.held.add(holding);
  log.info({ listen: listener.address, protocol: args.protocol ?? 'tcp' }, 'reverse listener up');
  audit(deps, req.peer.name, fp, listener.address, 'opened', 'ok', undefined, req);
  stream.write(encodeReverseAnswer(listener.address));
  // Nothing more comes on it; its end (or loss) is the signal to close.
  let linkLost = false;
  stream.on('error', (err) => (linkLost ||= isClawError(err, 'LINK_CLOSED')));
  stream.resume();
  const closing = (why: string, keep?: boolean) =>
    inBackground(on.close(holding, why, keep), log, 'closing a reverse listener');
  stream.once('end', () => closing('the peer ended it'));
  stream.once('close', () => closing(linkLost ? 'its link was lost' : 'stream closed', linkLost));
}

/** One `listener` audit event: where this node listens (or would have) for which peer. */
function audit(
  deps: ReverseListenDeps,
  name: string,
  fingerprint: string,
  at: string,
  phase: 'opened' | 'closed',
  outcome: AuditInput['outcome'],
  reason: string | undefined,
  req?: ServiceRequest,
): void {
  const via = req?.peer.via;
  deps.audit?.record({
    kind: 'listener',
    phase,
    peer: { name, fingerprint },
    ...(via ? { path: via.path, address: via.address } : {}),
    what: `listen on ${at}`,
    outcome,
    ...(reason ? { reason } : {}),
  });
}

/**
 * Carries one accepted connection back to the peer that asked for the listener, listed in
 * `connections` and kept in `served` (so the settings can end it) while it lasts.
 */
async function bridge(
  deps: ReverseListenDeps,
  admission: ServedAdmission,
  forward: { fp: string; name: string; args: ReverseListenArgs },
  socket: Socket,
  accepted: AcceptedConnection,
  on: Pick<Listening, 'served' | 'bySocket'>,
  log: Logger,
): Promise<void> {
  const { served } = on;
  socket.on('error', () => undefined);
  let stream: Duplex | undefined;
  const c: Served = {
    peer: forward.fp,
    id: forward.args.id,
    args: forward.args,
    cut: (reason) => {
      // A reset both ways: the client must not take a cut connection for a complete one, and the
      // peer's side learns why.
      served.delete(c);
      stream?.destroy(new ClawError('STREAM_RESET', reason));
      if (!socket.destroyed) socket.resetAndDestroy();
      listed.end(reason);
    },
  };
  served.add(c);
  on.bySocket.set(socket, c);
  const at = formatHostPort(forward.args.host, forward.args.port);
  // Listed and held under the listener's grant: the settings no longer allowing it end it.
  const listed = admission.child({
    kind: 'reverse-served',
    from: clientOf(socket),
    to: `${forward.name} (its reverse forward on ${at})`,
    close: (reason) => c.cut(reason),
    recheck: (record) => revoked(deps, record, forward.args),
  });
  try {
    try {
      // Resumable (ADR 0023): when the link dies, the connection moves to the peer's next link.
      stream = await openResumable(
        deps.links,
        forward.fp,
        REVERSE_CONNECT_SERVICE,
        { id: forward.args.id },
        deps.resumeMs ?? STREAM_RESUME_MS,
      );
    } catch (err) {
      log.info(`reverse connection not carried: ${errorMessage(err)}`);
      if (!socket.destroyed) socket.resetAndDestroy();
      return;
    }
    // Cut while the stream opened: the stream goes too.
    if (!served.has(c)) return void stream.destroy();
    // Bytes out (listed from → to): from the client here to the peer; in: the peer's answers.
    let answered = false;
    await splice(socket, stream, {
      bytesIn: (n) => {
        listed.bytesIn(n);
        // Its target answered: it is no longer one to evict at the listener's cap.
        if (!answered) {
          answered = true;
          accepted.protect();
        }
      },
      bytesOut: (n) => listed.bytesOut(n),
    });
  } finally {
    served.delete(c);
    listed.end();
  }
}

/**
 * A UDP listener for a peer's reverse UDP forward: the local UDP forward's listener, whose flows open
 * `reverse-connect` streams back to the peer (the exit) instead of `udp-connect` ones. Nothing is
 * counted here: the forward's counters live with its owner, as for TCP.
 */
async function listenUdpBack(
  deps: ReverseListenDeps,
  admission: ServedAdmission,
  args: ReverseListenArgs,
  log: Logger,
): Promise<Held['listener']> {
  const { fingerprint, name: peer } = admission.peer;
  const none = () => undefined;
  // Dropped here (too many flows, a queue over its limit, a flow that could not open): said in the
  // log when the listener closes; the owner's counters count what its side drops.
  let dropped = 0;
  const listener = await listenUdp(args.host, args.port, {
    name: `reverse ${args.id}`,
    log,
    problem: (message, fields) => log.info(fields ?? {}, `reverse UDP flow not carried: ${message}`),
    opened: none,
    via: peer,
    target: `${peer} (its reverse UDP forward on ${formatHostPort(args.host, args.port)})`,
    // Listed as served for that peer, as its TCP connections are, and held under the same grant (a
    // flow ends with its listener anyway: the listener closes its flows).
    track: (flow) =>
      admission.child({
        kind: 'reverse-served',
        from: flow.from,
        to: flow.to,
        close: (reason) => flow.close(reason),
        recheck: (record) => revoked(deps, record, args),
      }),
    idleMs: args.idleMs ?? DEFAULT_UDP_IDLE_MS,
    open: () => openFlowBack(deps, fingerprint, peer, args.id),
    counters: { datagramIn: none, datagramOut: none, dropped: () => dropped++, flow: none },
  });
  return {
    address: listener.address,
    close: async () => {
      dropped += listener.takeKernelDrops();
      await listener.close();
      if (dropped > 0)
        log.info({ listen: listener.address, dropped }, 'reverse UDP listener dropped datagrams');
    },
  };
}

/**
 * One UDP flow's stream back to the peer: `reverse-connect` {id}, then the peer's result message as on
 * a udp-connect stream (ok, or why its target cannot be reached).
 * @throws ConnectError
 */
async function openFlowBack(
  deps: ReverseListenDeps,
  fingerprint: string,
  peer: string,
  id: string,
): Promise<Duplex> {
  let stream: MuxStream;
  try {
    const entry = deps.links.peerEntries().find((e) => e.fingerprint === fingerprint);
    if (!entry) throw new ClawError('PEER_NOT_FOUND', `${peer} is no longer a peer`);
    stream = (await deps.links.openStream(entry, REVERSE_CONNECT_SERVICE, { id })).stream;
  } catch (err) {
    throw classifyOpenError(err, peer);
  }
  const ignore = () => undefined;
  stream.on('error', ignore);
  try {
    await awaitConnectResult(stream, peer, `${peer}'s target`);
  } finally {
    stream.off('error', ignore);
  }
  return stream;
}
