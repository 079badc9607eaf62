/**
 * The exit side of `udp-connect` (docs/protocol.md "udp-connect service"): for one flow, a UDP socket of
 * its own, connected to the destination (so only the destination's replies come back on it), and a
 * UdpStreamFlow between it and the stream. The destination rules are tcp-connect's: permission
 * `forward` (checked by the service registry), the peer's `forwardTo` limits applied to the addresses
 * the name resolves to once, here, and the socket sends to that address, never to the name again.
 *
 * `serveUdpConnect` takes only a request and a host, not the agent: a reverse UDP forward, whose exit is
 * the node that saved it, serves the streams its peer opens with the same function.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { NodeStateReader } from '../state/node-state.js';
import type { ConnectionKind } from '../api/contract.js';
import type {
  ConnectionAdmission,
  ServedConnection,
  ServiceRegistry,
  ServiceRequest,
} from '../services/services.js';
import type { PeerRecord } from '../state/settings.js';
import { describeZodError } from '../core/zod-error.js';
import { ClawError, errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { Duplex } from 'node:stream';
import type { StreamResumes } from './stream-resumes.js';
import { checkDestination, describeAddresses, systemLookup, type LookupAll } from './destination-check.js';
import { ExitConnections, revokedReason } from './exit-connections.js';
import { CONNECT_TIMEOUT_MS, classifyDialError, DialError } from './tcp-connect-service.js';
import { ConnectStatus, encodeConnectResult } from './tcp-connect-protocol.js';
import { UDP_CONNECT_SERVICE, udpConnectArgsSchema } from './udp-connect-protocol.js';
import {
  NO_COUNTERS,
  socketReceiveShortfall,
  UDP_SOCKET_BUFFER_BYTES,
  UdpStreamFlow,
  type UdpFlowCounters,
} from './udp-flow.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';

/** UDP flows this node serves as an exit at once, over all peers: each holds a socket (docs/security.md). */
export const MAX_UDP_EXIT_FLOWS = 1024;

export interface UdpConnectDeps {
  /** This node's name, for the "does not allow" reason. */
  readonly name: string;
  readonly log: Logger;
  /** The peer's `forwardTo` patterns, or undefined for no limits. */
  limitsFor(fingerprint: string): readonly string[] | undefined;
  lookup?: LookupAll;
  /** Where open flows are kept, so a permission taken away ends them, and counted against the cap. */
  readonly open: ExitConnections;
  /** Flows served at once (default MAX_UDP_EXIT_FLOWS). */
  readonly maxFlows?: number;
  /** Told of each flow, where an exit counts its flows (a reverse UDP forward's owner). */
  readonly watch?: UdpExitWatch;
  /**
   * How each flow is listed in `connections` when not as the service's own kind with the peer's name
   * as `from` (a reverse UDP forward's flows: `reverse-udp`, from where the peer listens).
   */
  readonly listAs?: { kind: ConnectionKind; from: string };
  /**
   * Whether the settings still allow a flow (the registry asks at every change); default: the peer's
   * `forward` grant and `forwardTo` limits, against the address the flow sends to.
   */
  readonly recheck?: ((record: PeerRecord | undefined) => string | undefined) | null;
  /** Halves of resumable streams (ADR 0023); absent: a `resume` argument is ignored. */
  readonly resumes?: StreamResumes;
  /** Kernel buffers to ask for on each flow's socket (default UDP_SOCKET_BUFFER_BYTES; tests ask for more). */
  readonly socketBufferBytes?: number;
}

/**
 * Buffer sizes (bytes asked) whose cap this process has logged for an exit's sockets: said once, not
 * once a flow, since the cap is the system's and the same for every flow.
 */
const toldShortfall = new Set<number>();

/** What an exit that counts its flows is told (reverse-carrier.ts: the forward's counters). */
export interface UdpExitWatch {
  /**
   * A flow is up on `stream` towards `target`: where it counts (`received` is a datagram from the
   * opener's side, `sent` one back), and `end` once it is over.
   */
  opened(stream: Duplex, target: string): { counters: UdpFlowCounters; end(): void };
  /** A flow could not be set up: why, in one line. */
  failed(why: string): void;
}

/**
 * Registers `udp-connect` on the agent (permission `forward`). Each flow is listed as `udp-exit` and
 * ends as soon as the settings no longer allow it (the registry follows them: services/services.ts).
 */
export function registerUdpConnectService(
  agent: {
    readonly name: string;
    readonly log: Logger;
    readonly state: Pick<NodeStateReader, 'peer'>;
    readonly services: Pick<ServiceRegistry, 'register'>;
  },
  resumes?: StreamResumes,
): void {
  const deps: UdpConnectDeps = {
    open: new ExitConnections(),
    resumes,
    get name() {
      return agent.name;
    },
    get log() {
      return agent.log;
    },
    limitsFor: (fp) => agent.state.peer(fp)?.forwardTo,
  };
  agent.services.register(UDP_CONNECT_SERVICE, {
    permission: 'forward',
    noun: 'forwards',
    admits: 'connection',
    kind: 'udp-exit',
    handle: (req, served) => serveUdpConnect(deps, req, served),
  });
}

/** Serves one udp-connect request that passed the permission check. Never rejects. */
export async function serveUdpConnect(
  node: UdpConnectDeps,
  req: ServiceRequest,
  served: ConnectionAdmission,
): Promise<void> {
  const parsed = udpConnectArgsSchema().safeParse(req.args);
  if (!parsed.success) {
    req.reject('BAD_REQUEST', `bad udp-connect arguments: ${describeZodError(parsed.error)}`);
    return;
  }
  const { host, port, idleMs = DEFAULT_UDP_IDLE_MS } = parsed.data;
  const target = formatHostPort(host, port);
  const log = node.log.child({ service: UDP_CONNECT_SERVICE, peer: req.peer.name, target });
  const resumeId = node.resumes ? parsed.data.resume : undefined;
  const resumeTaken = () => resumeId !== undefined && node.resumes?.has(req.peer.fingerprint, resumeId);
  if (resumeTaken()) {
    req.reject('BAD_REQUEST', 'bad udp-connect arguments: that resume ID is already in use');
    return;
  }
  // The cap is checked and a place taken in this same turn, before anything is awaited: flows being
  // set up count, so a burst of requests cannot all pass the check before the first is added.
  const full = node.open.size >= (node.maxFlows ?? MAX_UDP_EXIT_FLOWS);
  const release = full ? () => undefined : node.open.reserve();
  // The socket comes before the ACCEPT, as tcp-connect's dial does: a flow that cannot be set up is
  // no connection, and its stream only carries the answer.
  let socket: UdpSocket;
  let address: string;
  try {
    if (full) {
      throw new DialError(ConnectStatus.GeneralFailure, `${node.name} serves too many UDP flows now`);
    }
    address = await allowedAddress(node, req, host, port);
    socket = await connectedSocket(address, port, node.socketBufferBytes ?? UDP_SOCKET_BUFFER_BYTES);
  } catch (err) {
    release();
    const failure = classifyDialError(err);
    log.warn(`udp-connect failed: ${failure.message}`);
    node.watch?.failed(failure.message);
    let answer: Duplex;
    try {
      answer = served.hold();
    } catch (gone) {
      log.info(`udp-connect gone before it was answered: ${errorMessage(gone)}`);
      return;
    }
    answer.on('error', () => undefined);
    answer.resume();
    answer.end(encodeConnectResult(failure.status, failure.message));
    return;
  }
  // Checked again: another stream may have taken the ID meanwhile.
  if (resumeTaken()) {
    release();
    socket.close();
    req.reject('BAD_REQUEST', 'bad udp-connect arguments: that resume ID is already in use');
    return;
  }
  let stream: Duplex | undefined;
  let connection: ServedConnection;
  const peerName = req.peer.name;
  try {
    const accepted = served.accept({
      kind: node.listAs?.kind,
      from: node.listAs?.from ?? peerName,
      to: target,
      close: (reason, refusal) =>
        stream?.destroy(new ClawError('STREAM_RESET', reason, refusal ? { refusal } : undefined)),
      ...(node.recheck === null
        ? {}
        : {
            recheck: (record: PeerRecord | undefined) =>
              node.recheck
                ? node.recheck(record)
                : revokedReason(node.name, record, { peerName, host, port, address }),
          }),
    });
    connection = accepted.connection;
    // A resumable flow survives its link (ADR 0023): its socket, and so its source port, stay.
    stream =
      resumeId !== undefined && node.resumes
        ? node.resumes.adopt(req.peer.fingerprint, resumeId, accepted.stream)
        : accepted.stream;
  } catch (err) {
    release();
    socket.close();
    log.info(`udp-connect gone before it was accepted: ${errorMessage(err)}`);
    return;
  }
  release();
  const flowStream = stream;
  node.open.add(flowStream);
  flowStream.write(encodeConnectResult(ConnectStatus.Ok));
  let dropped = 0;
  const watched = node.watch?.opened(flowStream, target);
  const counts = watched?.counters ?? NO_COUNTERS;
  const drop = () => {
    dropped++;
    counts.dropped();
  };
  // One callback for every send of the flow, not a closure per datagram (tens of thousands a second).
  const afterSend = (err: Error | null) => {
    // EMSGSIZE (over the path's limit), ECONNREFUSED (an ICMP from the destination): UDP loses it.
    if (err) drop();
  };
  // Listed from → to: a datagram from the opener goes out to the target; a reply comes back in.
  const flow = new UdpStreamFlow(flowStream, {
    idleMs,
    onDatagram: (d) => socket.send(d, afterSend),
    counters: {
      received: (n) => {
        counts.received(n);
        connection.bytesOut(n);
      },
      sent: (n) => {
        counts.sent(n);
        connection.bytesIn(n);
      },
      dropped: drop,
    },
    onClose: (why) => {
      socket.close();
      connection.end();
      watched?.end();
      log.debug({ dropped }, `udp-connect flow closed: ${why}`);
    },
  });
  socket.on('message', (msg) => flow.send(msg));
  const asked = node.socketBufferBytes ?? UDP_SOCKET_BUFFER_BYTES;
  if (!toldShortfall.has(asked)) {
    const shortfall = socketReceiveShortfall(socket, asked);
    if (shortfall) {
      toldShortfall.add(asked);
      node.log.warn(`udp-connect exit: ${shortfall}`);
    }
  }
  // A connected UDP socket reports an ICMP unreachable from the destination as an error: the flow goes on.
  socket.on('error', (err) => log.debug(`udp-connect socket: ${errorMessage(err)}`));
  log.debug('udp-connect up');
}

/** The address to send to: the first the peer's limits allow, of those `host` resolves to once. */
async function allowedAddress(
  node: UdpConnectDeps,
  req: ServiceRequest,
  host: string,
  port: number,
): Promise<string> {
  const lookupAll = node.lookup ?? systemLookup;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DialError(ConnectStatus.Timeout, `looking up ${host} timed out`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    const check = await checkDestination(node.limitsFor(req.peer.fingerprint), host, port, (name) =>
      Promise.race([lookupAll(name), timeout]),
    );
    if (!check.allowed) {
      const why = check.resolvedTo ? `, which resolves to ${describeAddresses(check.resolvedTo)}` : '';
      throw new DialError(
        ConnectStatus.NotAllowed,
        `${node.name} does not allow forwards from ${req.peer.name} to ${formatHostPort(host, port)} (UDP)${why}`,
      );
    }
    return check.addresses[0]!;
  } finally {
    clearTimeout(timer);
  }
}

/** A UDP socket on an ephemeral port, connected to `address:port` (it hears only that address). */
function connectedSocket(address: string, port: number, bufferBytes: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: isIP(address) === 6 ? 'udp6' : 'udp4',
      recvBufferSize: bufferBytes,
      sendBufferSize: bufferBytes,
    });
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(port, address, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
