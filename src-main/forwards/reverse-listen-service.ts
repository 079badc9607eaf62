/**
 * The peer's side of reverse forwards (ADR 0018; docs/mux-protocol.md §Reverse forwards): a peer with
 * permission `listen` (checked by the service registry before this runs) asks this node to listen on
 * HOST:PORT. The address must pass the peer's `listenOn` limits, one other machines can reach needs
 * the owner's consent (`allowRemoteReverseListen`), and a peer holds at most
 * MAX_REVERSE_LISTENERS_PER_PEER listeners. Each connection accepted there goes back to the peer as a
 * `reverse-connect` stream. The listener lives exactly as long as its `reverse-listen` stream: the
 * forward removed or switched off, the link lost, the permission or consent taken away — it closes,
 * so nothing stays bound here.
 *
 * A UDP listener (`protocol: 'udp'`) is the local UDP forward's (udp-forward.ts): each client address
 * is a flow, and each flow a `reverse-connect` stream back to the peer, which is the exit (ADR 0019).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { NodeStateReader } from '../agent/node-state.js';
import type { PeerDirectory, PeerStreams } from '../agent/ports.js';
import type { ServiceRegistry, ServiceRequest } from '../agent/services.js';
import type { PeerRecord, Settings } from '../agent/settings.js';
import { describeZodError } from '../api/validate.js';
import { ClawError, errorMessage, isClawError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import type { MuxStream } from '../mux/stream.js';
import { allowedAddresses } from './destination-policy.js';
import { awaitConnectResult, classifyOpenError } from './dialer.js';
import { isLoopbackHost, listenTcp, type TcpListener } from './listener.js';
import {
  encodeReverseAnswer,
  MAX_REVERSE_LISTENERS_PER_PEER,
  REVERSE_CONNECT_SERVICE,
  REVERSE_LISTEN_SERVICE,
  reverseListenArgsSchema,
  type ReverseListenArgs,
} from './reverse-protocol.js';
import { openResumable } from './resumable-open.js';
import { splice } from './splice.js';
import { STREAM_RESUME_MS } from './stream-resumes.js';
import type { AuditSink } from '../audit/audit-writer.js';
import type { AuditInput } from '../audit/audit-events.js';
import { DEFAULT_UDP_IDLE_MS } from './udp-flow.js';
import { listenUdp } from './udp-forward.js';

export interface ReverseListenHost {
  readonly name: string;
  readonly log: Logger;
  readonly state: Pick<NodeStateReader, 'get' | 'peer' | 'subscribe'>;
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

/** Names a reverse forward's connections across its listener's incarnations: `fingerprint/id`. */
const keyOf = (peer: string, id: string) => `${peer}/${id}`;

/**
 * Registers `reverse-listen` (permission `listen`). Listeners the settings no longer allow close at
 * once. Returns a disposer that closes them all.
 */
export function registerReverseListenService(host: ReverseListenHost): () => Promise<void> {
  const held = new Set<Held>();
  // Accepted TCP connections by forward: they outlive a listener closed because its link was lost
  // (their streams resume, ADR 0023) and end when the forward's listener closes for good.
  const connections = new Map<string, Set<Socket>>();
  const track = (key: string, socket: Socket) => {
    let set = connections.get(key);
    if (!set) connections.set(key, (set = new Set()));
    set.add(socket);
    socket.once('close', () => {
      set.delete(socket);
      if (set.size === 0 && connections.get(key) === set) connections.delete(key);
    });
  };
  /** `keep`: the link went (or the forward asked again on another): its connections carry on. */
  const close = (h: Held, why: string, keep = false): Promise<void> => {
    if (!held.delete(h)) return Promise.resolve();
    host.log.info({ peer: h.peer, listen: h.listener.address }, `reverse listener closed: ${why}`);
    audit(host, h.peerName, h.peer, h.listener.address, 'closed', 'ok', why);
    h.stream.destroy();
    if (!keep) for (const socket of connections.get(keyOf(h.peer, h.id)) ?? []) socket.destroy();
    return h.listener.close(keep);
  };
  host.services.register(REVERSE_LISTEN_SERVICE, {
    permission: 'listen',
    noun: 'listening',
    handle: (req) => void serve(host, req, held, close, track),
  });
  const off = host.state.subscribe(() => {
    for (const h of [...held]) {
      const record = host.state.peer(h.peer);
      if (!record) {
        void close(h, 'no longer a peer');
        continue;
      }
      // Held already: only what the settings say counts here, not the cap.
      const refusal = listenRefusal(host.name, host.state.get(), record, h.args, 0);
      if (refusal) void close(h, refusal.reason);
    }
  });
  return async () => {
    off();
    // The ports are free once this resolves: `clawbridge stop` waits for it.
    await Promise.all([...held].map((h) => close(h, 'agent stopping')));
  };
}

async function serve(
  host: ReverseListenHost,
  req: ServiceRequest,
  held: Set<Held>,
  close: (h: Held, why: string, keep?: boolean) => Promise<void>,
  track: (key: string, socket: Socket) => void,
): Promise<void> {
  const parsed = reverseListenArgsSchema.safeParse(req.args);
  if (!parsed.success) {
    return req.reject('BAD_REQUEST', `bad reverse-listen arguments: ${describeZodError(parsed.error)}`);
  }
  const args = parsed.data;
  const fp = req.peer.fingerprint;
  const record = host.state.peer(fp);
  if (!record) return req.reject('REMOVED', `removed as a peer by ${host.name}`);
  // The same forward asking again (its old stream on a link that is going away): the new one wins.
  for (const h of held) if (h.peer === fp && h.id === args.id) await close(h, 'asked again', true);
  const count = [...held].filter((h) => h.peer === fp).length;
  const refusal = listenRefusal(host.name, host.state.get(), record, args, count);
  const wanted = `${formatHostPort(args.host, args.port)}${args.protocol === 'udp' ? ' (UDP)' : ''}`;
  if (refusal) {
    audit(host, req.peer.name, fp, wanted, 'opened', 'refused', refusal.reason, req);
    return req.reject(refusal.code, refusal.reason);
  }
  const log = host.log.child({ service: REVERSE_LISTEN_SERVICE, peer: req.peer.name });
  let listener: Held['listener'];
  try {
    listener =
      args.protocol === 'udp'
        ? await listenUdpBack(host, fp, req.peer.name, args, log)
        : await listenTcp(args.host, args.port, (socket) => {
            track(keyOf(fp, args.id), socket);
            void bridge(host, fp, args.id, socket, log);
          });
  } catch (err) {
    audit(host, req.peer.name, fp, wanted, 'opened', 'failed', errorMessage(err), req);
    return req.reject('SERVICE_FAILED', `${host.name} cannot listen: ${errorMessage(err)}`);
  }
  let stream: MuxStream;
  try {
    stream = req.accept();
  } catch (err) {
    log.info(`reverse-listen gone before it was accepted: ${errorMessage(err)}`);
    await listener.close();
    return;
  }
  const h: Held = { peer: fp, peerName: req.peer.name, id: args.id, args, listener, stream };
  held.add(h);
  log.info({ listen: listener.address, protocol: args.protocol ?? 'tcp' }, 'reverse listener up');
  audit(host, req.peer.name, fp, listener.address, 'opened', 'ok', undefined, req);
  stream.write(encodeReverseAnswer(listener.address));
  // Nothing more comes on it; its end (or loss) is the signal to close.
  let linkLost = false;
  stream.on('error', (err) => (linkLost ||= isClawError(err, 'LINK_CLOSED')));
  stream.resume();
  stream.once('end', () => void close(h, 'the peer ended it'));
  stream.once('close', () => void close(h, linkLost ? 'its link was lost' : 'stream closed', linkLost));
}

/** One `listener` audit event: where this node listens (or would have) for which peer. */
function audit(
  host: ReverseListenHost,
  name: string,
  fingerprint: string,
  at: string,
  phase: 'opened' | 'closed',
  outcome: AuditInput['outcome'],
  reason: string | undefined,
  req?: ServiceRequest,
): void {
  const via = req?.peer.via;
  host.audit?.record({
    kind: 'listener',
    phase,
    peer: { name, fingerprint },
    ...(via ? { path: via.path, address: via.address } : {}),
    what: `listen on ${at}`,
    outcome,
    ...(reason ? { reason } : {}),
  });
}

/** Carries one accepted connection back to the peer that asked for the listener. */
async function bridge(
  host: ReverseListenHost,
  fingerprint: string,
  id: string,
  socket: Socket,
  log: Logger,
): Promise<void> {
  socket.on('error', () => undefined);
  let stream: Duplex;
  try {
    // Resumable (ADR 0023): when the link dies, the connection moves to the peer's next link.
    stream = await openResumable(
      host.links,
      fingerprint,
      REVERSE_CONNECT_SERVICE,
      { id },
      host.resumeMs ?? STREAM_RESUME_MS,
    );
  } catch (err) {
    log.info(`reverse connection not carried: ${errorMessage(err)}`);
    socket.resetAndDestroy();
    return;
  }
  await splice(socket, stream);
}

/**
 * A UDP listener for a peer's reverse UDP forward: the local UDP forward's listener, whose flows open
 * `reverse-connect` streams back to the peer (the exit) instead of `udp-connect` ones. Nothing is
 * counted here: the forward's counters live with its owner, as for TCP.
 */
async function listenUdpBack(
  host: ReverseListenHost,
  fingerprint: string,
  peer: string,
  args: ReverseListenArgs,
  log: Logger,
): Promise<Held['listener']> {
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
    target: `${peer} (reverse)`,
    idleMs: args.idleMs ?? DEFAULT_UDP_IDLE_MS,
    open: () => openFlowBack(host, fingerprint, peer, args.id),
    counters: { datagramIn: none, datagramOut: none, dropped: () => dropped++, flow: none },
  });
  return {
    address: listener.address,
    close: async () => {
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
  host: ReverseListenHost,
  fingerprint: string,
  peer: string,
  id: string,
): Promise<Duplex> {
  let stream: MuxStream;
  try {
    const entry = host.links.peerEntries().find((e) => e.fingerprint === fingerprint);
    if (!entry) throw new ClawError('PEER_NOT_FOUND', `${peer} is no longer a peer`);
    stream = (await host.links.openStream(entry, REVERSE_CONNECT_SERVICE, { id })).stream;
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
