/**
 * The serving side of `tcp-connect` (architecture.md §Services): a peer with the `forward` permission (checked by the
 * service registry before this runs) asks this node to dial host:port. Names are resolved here, at the
 * exit, exactly once; the peer's `forwardTo` limits (destination-policy.ts) pick which of the resolved
 * addresses may be dialed, and the exit connects to those addresses, never to the name again
 * (destination-check.ts). The first bytes on the stream are the result message (ok, or why not); after
 * an ok the stream and the socket are spliced, half-close included.
 */
import { connect, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { Logger } from 'pino';
import type { NodeStateReader } from '../state/node-state.js';
import type {
  ConnectionAdmission,
  ServedConnection,
  ServiceRegistry,
  ServiceRequest,
} from '../services/services.js';
import { describeZodError } from '../core/zod-error.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { Duplex } from 'node:stream';
import { checkDestination, describeAddresses, systemLookup, type LookupAll } from './destination-check.js';
import { revokedReason } from './exit-connections.js';
import { malformedPatterns } from './destination-policy.js';
import { slabReads } from '../mux/slab-reads.js';
import { LOCAL_SOCKET_HIGH_WATER_BYTES, splice } from './splice.js';
import type { StreamResumes } from './stream-resumes.js';
import {
  ConnectStatus,
  encodeConnectResult,
  TCP_CONNECT_SERVICE,
  tcpConnectArgsSchema,
  type ConnectStatusCode,
} from './tcp-connect-protocol.js';

/** How long the exit peer tries to reach a destination, in ms (name lookup + TCP connect), like a browser. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Most resolved addresses tried, in order, before giving up (a name with many records fails fast). */
export const MAX_ADDRESSES_TRIED = 4;

/** A dial that failed, with the result status that says why. */
export class DialError extends Error {
  constructor(
    readonly status: ConnectStatusCode,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF_ERRNO: Record<string, ConnectStatusCode> = {
  ECONNREFUSED: ConnectStatus.Refused,
  ENETUNREACH: ConnectStatus.NetworkUnreachable,
  ENETDOWN: ConnectStatus.NetworkUnreachable,
  EHOSTUNREACH: ConnectStatus.HostUnreachable,
  EHOSTDOWN: ConnectStatus.HostUnreachable,
  ETIMEDOUT: ConnectStatus.Timeout,
  ENOTFOUND: ConnectStatus.HostNotFound,
  EAI_NONAME: ConnectStatus.HostNotFound,
  EAI_NODATA: ConnectStatus.HostNotFound,
  EAI_AGAIN: ConnectStatus.HostNotFound,
  EAI_FAIL: ConnectStatus.HostNotFound,
};

const WORDS: Record<number, string> = {
  [ConnectStatus.Refused]: 'connection refused',
  [ConnectStatus.NetworkUnreachable]: 'network unreachable',
  [ConnectStatus.HostUnreachable]: 'host unreachable',
  [ConnectStatus.Timeout]: 'timed out',
  [ConnectStatus.HostNotFound]: 'host not found',
};

/** Maps a socket or DNS error to a result status and a short reason (the opener adds the target). */
export function classifyDialError(err: unknown): DialError {
  if (err instanceof DialError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const status = STATUS_OF_ERRNO[code] ?? ConnectStatus.GeneralFailure;
  return new DialError(status, WORDS[status] ?? errorMessage(err));
}

/** Opens a TCP connection to an IP address, like net.connect (injectable for tests). */
export type ConnectSocket = (options: TcpNetConnectOpts) => Socket;

/** What serving tcp-connect needs from the node: its name, a logger, and each peer's limits. */
export interface TcpConnectDeps {
  /** This node's name, for the "does not allow" reason. */
  name: string;
  log: Logger;
  /** The peer's `forwardTo` patterns, or undefined for no limits. */
  limitsFor(fingerprint: string): readonly string[] | undefined;
  /** Resolves names (default: the system resolver). */
  lookup?: LookupAll;
  /** Connects to a resolved address (default: net.connect). */
  connect?: ConnectSocket;
  /** Halves of resumable streams (ADR 0023); absent: a `resume` argument is ignored. */
  resumes?: StreamResumes;
}

/**
 * Registers `tcp-connect` on the agent: permission `forward`, refused as "does not allow forwards".
 * Each connection is listed as `tcp-exit` and ends as soon as the settings no longer allow it (the
 * registry follows them: services/services.ts).
 */
export function registerTcpConnectService(
  agent: {
    readonly name: string;
    readonly log: Logger;
    /** Read at each connection (limits). */
    readonly state: Pick<NodeStateReader, 'get' | 'peer'>;
    readonly services: Pick<ServiceRegistry, 'register'>;
  },
  resumes?: StreamResumes,
): void {
  const deps: TcpConnectDeps = {
    resumes,
    get name() {
      return agent.name;
    },
    get log() {
      return agent.log;
    },
    limitsFor: (fp) => agent.state.peer(fp)?.forwardTo,
  };
  agent.services.register(TCP_CONNECT_SERVICE, {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'tcp-exit',
    handle: (req, served) => serveTcpConnect(deps, req, served),
  });
}

/** Serves one tcp-connect request that passed the permission check. Never rejects. */
export async function serveTcpConnect(
  node: TcpConnectDeps,
  req: ServiceRequest,
  served: ConnectionAdmission,
): Promise<void> {
  const parsed = tcpConnectArgsSchema().safeParse(req.args);
  if (!parsed.success) {
    req.reject('BAD_REQUEST', `bad tcp-connect arguments: ${describeZodError(parsed.error)}`);
    return;
  }
  const { host, port } = parsed.data;
  const target = formatHostPort(host, port);
  const limits = node.limitsFor(req.peer.fingerprint);
  const log = node.log.child({ service: TCP_CONNECT_SERVICE, peer: req.peer.name, target });
  const malformed = limits ? malformedPatterns(limits) : [];
  if (malformed.length > 0) {
    log.warn(`forwardTo patterns that match nothing (write HOST:PORT): ${malformed.join(', ')}`);
  }
  const resumeId = node.resumes ? parsed.data.resume : undefined;
  const resumeTaken = () => resumeId !== undefined && node.resumes?.has(req.peer.fingerprint, resumeId);
  if (resumeTaken()) {
    req.reject('BAD_REQUEST', 'bad tcp-connect arguments: that resume ID is already in use');
    return;
  }
  // The dial comes before the ACCEPT, so the ACCEPT and the result leave together, in one record: a
  // new forwarded connection costs each side a frame, a write and a read less (the opener waits for
  // the result anyway). The dial is bounded (CONNECT_TIMEOUT_MS), well within the opener's wait for
  // the ACCEPT (DEFAULT_OPEN_TIMEOUT_MS), and it stops when the opener gives up or the link closes.
  let socket: Socket | undefined;
  let failure: DialError | undefined;
  try {
    const notAllowed = `${node.name} does not allow forwards from ${req.peer.name} to ${target}`;
    socket = await dial(host, port, {
      limits,
      signal: req.signal,
      notAllowed,
      lookup: node.lookup,
      connect: node.connect,
    });
  } catch (err) {
    failure = classifyDialError(err);
    if (!req.signal.aborted) log.warn(`tcp-connect failed: ${failure.message}`);
  }
  if (req.signal.aborted) {
    // Nobody waits for this answer any more: the dial stopped (or its socket is dropped) with it.
    socket?.destroy();
    log.info(`tcp-connect gone while this side dialed: ${errorMessage(req.signal.reason)}`);
    return;
  }
  // Checked again: another stream may have taken the ID while this one dialed.
  if (resumeTaken()) {
    socket?.destroy();
    req.reject('BAD_REQUEST', 'bad tcp-connect arguments: that resume ID is already in use');
    return;
  }
  if (!socket) {
    // Not a connection: the stream only carries the answer. The opener resets it when it reads a
    // failure (that reset is expected, not an error); draining keeps its credit flowing meanwhile.
    let answer: Duplex;
    try {
      answer = served.hold();
    } catch (err) {
      log.info(`tcp-connect gone before it was answered: ${errorMessage(err)}`);
      return;
    }
    answer.on('error', () => undefined);
    answer.resume();
    answer.end(encodeConnectResult(failure!.status, failure!.message));
    return;
  }
  const dialed = socket;
  let stream: Duplex | undefined;
  let connection: ServedConnection;
  try {
    const address = dialed.remoteAddress ?? host;
    const accepted = served.accept({
      from: req.peer.name,
      to: target,
      // The reset carries the reason to the opener (with the code of a grant taken away); splice
      // then closes the socket.
      close: (reason, refusal) =>
        stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined)),
      // What the owner takes away ends it: the peer, `forward`, or limits that leave out the address
      // it was dialed to (checked without a new name lookup).
      recheck: (record) => revokedReason(node.name, record, { peerName: req.peer.name, host, port, address }),
    });
    connection = accepted.connection;
    // A resumable stream survives its link (ADR 0023); everything below uses it like the bare stream.
    stream =
      resumeId !== undefined && node.resumes
        ? node.resumes.adopt(req.peer.fingerprint, resumeId, accepted.stream)
        : accepted.stream;
  } catch (err) {
    // The opener gave up (or its link died, or its grant went) while this side dialed.
    dialed.destroy();
    log.info(`tcp-connect gone before it was accepted: ${errorMessage(err)}`);
    return;
  }
  log.debug('tcp-connect up');
  stream.write(encodeConnectResult(ConnectStatus.Ok));
  // Seen from the exit, the socket is the local side: what it reads goes back to the opener (`in`).
  await splice(dialed, stream, {
    bytesIn: (n) => connection.bytesOut(n),
    bytesOut: (n) => connection.bytesIn(n),
  });
  connection.end();
  log.debug('tcp-connect closed');
}

export interface DialOptions extends Pick<TcpConnectDeps, 'lookup' | 'connect'> {
  /** The peer's `forwardTo` patterns, or undefined for no limits. */
  limits: readonly string[] | undefined;
  signal: AbortSignal;
  /** The refusal reason; for a name, `, which resolves to …` is added. */
  notAllowed: string;
}

/**
 * Resolves `host` once (unless it is an IP literal), keeps the addresses the limits allow, and connects
 * to the first of those addresses that answers within CONNECT_TIMEOUT_MS overall.
 * @throws DialError, or the last socket/DNS error (classified by the caller)
 */
export async function dial(host: string, port: number, opts: DialOptions): Promise<Socket> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  const lookupAll = opts.lookup ?? systemLookup;
  const check = await checkDestination(opts.limits, host, port, (name) =>
    withDeadline(lookupAll(name), deadline, name),
  );
  if (!check.allowed) {
    const why = check.resolvedTo ? `, which resolves to ${describeAddresses(check.resolvedTo)}` : '';
    throw new DialError(ConnectStatus.NotAllowed, opts.notAllowed + why);
  }
  const tried = check.addresses.slice(0, MAX_ADDRESSES_TRIED);
  let lastError: unknown;
  for (let i = 0; i < tried.length; i++) {
    opts.signal.throwIfAborted();
    // Share what is left of the time between the addresses still to try, so one black hole cannot eat it all.
    const budget = Math.max(1, Math.floor((deadline - Date.now()) / (tried.length - i)));
    try {
      return await connectOnce(opts.connect ?? connect, tried[i]!, port, budget, opts.signal);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof Error ? lastError : new DialError(ConnectStatus.GeneralFailure, 'failed');
}

function connectOnce(
  open: ConnectSocket,
  address: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = open({
      host: address,
      port,
      allowHalfOpen: true,
      noDelay: true,
      // net.Socket hands its options to stream.Duplex, which takes the mark; @types/node omits it here.
      highWaterMark: LOCAL_SOCKET_HIGH_WATER_BYTES,
      // What the exit reads goes to the opener on a resumable stream, which keeps it until acked:
      // read straight into the slabs it keeps bytes in, so keeping them costs no copy (ADR 0035).
      onread: slabReads((piece) => socket.push(piece)),
    } as TcpNetConnectOpts);
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onAbort = () => fail(new DialError(ConnectStatus.GeneralFailure, 'the opener gave up'));
    const timer = setTimeout(
      () =>
        fail(new DialError(ConnectStatus.Timeout, `timed out after ${Math.round(timeoutMs / 100) / 10} s`)),
      timeoutMs,
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', fail);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function withDeadline<T>(promise: Promise<T>, deadline: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DialError(ConnectStatus.Timeout, `looking up ${name} timed out`)),
      Math.max(1, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
