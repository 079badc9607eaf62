/**
 * The listening side of a UDP forward: one UDP socket on the forward's address, shared by every client
 * as a real UDP service's is. Each client address (IP and port) is its own flow: the first datagram
 * from it opens a `udp-connect` stream to the exit peer, later ones go down the same stream, and the
 * replies the exit frames back are sent to that client from the forward's port. A flow ends when idle
 * for the forward's idle time, when its stream ends, and when the listener closes. A forward holding
 * its most flows makes room for a new client by ending the flow idle longest, once that one has been
 * idle UDP_FLOW_EVICT_IDLE_MS: clients that sent once (from many ports, say) cannot keep others out.
 *
 * The same listener serves a reverse UDP forward on the peer that listens for it
 * (reverse-listen-service.ts): there each flow's stream is a `reverse-connect` back to the forward's
 * owner, which is the exit; only `open` differs.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { lookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClawError, errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { reportCutConnections, type FrontEndContext } from './front-end.js';
import { listenError } from './listener.js';
import type { TrackConnection } from './track-connection.js';
import {
  socketReceiveShortfall,
  UDP_FLOW_QUEUE_FLOOR_BYTES,
  UDP_SOCKET_BUFFER_BYTES,
  UdpStreamFlow,
} from './udp-flow.js';
import { readKernelDrops } from './udp-kernel-drops.js';

/**
 * Client flows one UDP forward holds at once (docs/security.md). A datagram from a new client beyond
 * takes the place of the flow idle longest when one has been idle UDP_FLOW_EVICT_IDLE_MS, and is
 * dropped otherwise.
 */
export const MAX_UDP_FLOWS_PER_FORWARD = 256;

/**
 * How long a flow must have been idle before a new client may take its place in a full forward, in ms
 * (1 s). Another local user sending once from hundreds of source ports filled a forward for its idle
 * time (60 s by default) and locked its real clients out; now those flows give way after a second. A
 * client that keeps sending is not pushed out by new ones, and a forward turns over at most its flow
 * cap a second, so a stream of new source ports cannot make it open streams to its peer at line rate.
 */
export const UDP_FLOW_EVICT_IDLE_MS = 1_000;

/** Opens one flow's stream to the exit and waits for the exit's ok (a ConnectError if not). */
export type OpenUdpFlow = () => Promise<Duplex>;

/** What a UDP forward counts besides the flows (FrontEndContext counts bytes). */
export interface UdpForwardCounters {
  datagramIn(bytes: number): void;
  datagramOut(bytes: number): void;
  dropped(): void;
  /** A flow opened (true) or ended (false). */
  flow(open: boolean): void;
}

export interface UdpForwardContext extends Pick<FrontEndContext, 'name' | 'log' | 'problem' | 'opened'> {
  via: string;
  /** Where the flows go (`host:port`, or what stands for it), for the log and the connections list. */
  target: string;
  idleMs: number;
  open: OpenUdpFlow;
  counters: UdpForwardCounters;
  maxFlows?: number;
  /** Lists a flow in the node's connections while it lasts (absent where nothing lists them: tests). */
  track?: TrackConnection | undefined;
  /** Kernel buffers to ask for on the socket (default UDP_SOCKET_BUFFER_BYTES; tests ask for more). */
  socketBufferBytes?: number;
}

export interface UdpListener {
  /** The bound `host:port` (the real port when 0 was asked for). */
  address: string;
  /** Client flows open now. */
  readonly flows: number;
  /**
   * Datagrams the kernel dropped at the listener's socket since the last call (its receive buffer was
   * full: udp-kernel-drops.ts), which `counters.dropped` never saw; 0 where the kernel does not say
   * (not Linux). The forward's owner adds them to its `dropped` when its counters are read.
   */
  takeKernelDrops(): number;
  /** Ends every flow and frees the port. */
  close(): Promise<void>;
}

/** A client's flow: datagrams wait in `early` while its stream opens. */
interface ClientFlow {
  flow?: UdpStreamFlow;
  early: Buffer[];
  earlyBytes: number;
  closed: boolean;
  /** Resolves once the flow is over and its stream closed (a flow waiting to take its place opens then). */
  gone: Promise<void>;
}

/**
 * The listener's address lookup: an IP address as it is, at once; a name through dns.lookup. Every
 * reply goes to a client's address (an IP), and Node's default lookup answered each of those a tick
 * later, a deferral and a closure per datagram sent back (ADR 0055).
 */
function literalLookup(
  address: string,
  options: number | LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(address);
  if (family !== 0) return callback(null, address, family);
  lookup(address, typeof options === 'number' ? { family: options } : options, callback);
}

/** A flow that waited for another's place while the forward stopped: it does not open. */
function stopped(): Promise<never> {
  return Promise.reject(new ClawError('LINK_CLOSED', 'the forward stopped'));
}

/**
 * Binds `host:port` for UDP and serves clients as described above.
 * @throws ClawError('ADDRESS_IN_USE' | 'BAD_ARGUMENT') as the TCP listener does.
 */
export async function listenUdp(host: string, port: number, ctx: UdpForwardContext): Promise<UdpListener> {
  const bufferBytes = ctx.socketBufferBytes ?? UDP_SOCKET_BUFFER_BYTES;
  const socket = createSocket({
    type: isIP(host) === 6 ? 'udp6' : 'udp4',
    recvBufferSize: bufferBytes,
    sendBufferSize: bufferBytes,
    lookup: literalLookup,
  });
  const wanted = formatHostPort(host, port);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (err) => reject(listenError(err, wanted)));
    socket.bind({ address: host, port, exclusive: true }, () => resolve());
  });
  socket.removeAllListeners('error');
  // After binding, an error concerns one send (an ICMP unreachable from a client): the forward goes on.
  socket.on('error', (err) => ctx.log.debug({ forward: ctx.name }, errorMessage(err)));
  const bound = socket.address();
  // The kernel caps the buffer without an error (net.core.rmem_max): said once, where the owner looks.
  const shortfall = socketReceiveShortfall(socket, bufferBytes);
  if (shortfall) ctx.log.warn({ forward: ctx.name }, `UDP forward ${ctx.name}: ${shortfall}`);
  const flows = new Map<string, ClientFlow>();
  const { target } = ctx;
  const maxFlows = ctx.maxFlows ?? MAX_UDP_FLOWS_PER_FORWARD;
  let closing = false;
  /** No flow can have been idle UDP_FLOW_EVICT_IDLE_MS before this (Date.now()): no need to look. */
  let noneIdleBefore = 0;

  /**
   * Ends the open flow idle longest, if it has been idle UDP_FLOW_EVICT_IDLE_MS, to make room for a
   * new client: it leaves `flows` now, and its `gone` says when its stream is closed.
   */
  const evictIdlest = (): ClientFlow | undefined => {
    const now = Date.now();
    if (now < noneIdleBefore) return undefined;
    let idlest: [string, ClientFlow] | undefined;
    for (const entry of flows) {
      const flow = entry[1].flow;
      // Still opening: just started, not idle.
      if (!flow) continue;
      if (!idlest || flow.lastActive < idlest[1].flow!.lastActive) idlest = entry;
    }
    const since = idlest?.[1].flow?.lastActive ?? now;
    if (!idlest || now - since < UDP_FLOW_EVICT_IDLE_MS) {
      // Flows only grow busier, and new ones start busy: none can give way before then.
      noneIdleBefore = since + UDP_FLOW_EVICT_IDLE_MS;
      return undefined;
    }
    const [key, client] = idlest;
    flows.delete(key);
    ctx.log.debug({ forward: ctx.name, client: key }, 'UDP flow ended to make room for a new client');
    client.flow!.close(`idle for ${Math.round((now - since) / 1000)} s while the forward was full`);
    return client;
  };

  /** `after`: the flow this one takes the place of; its stream opens once that one's has closed. */
  const start = (key: string, rinfo: RemoteInfo, first: Buffer, after?: ClientFlow): void => {
    let gone = () => undefined as void;
    const client: ClientFlow = {
      early: [first],
      earlyBytes: first.length,
      closed: false,
      gone: new Promise<void>((resolve) => (gone = resolve)),
    };
    flows.set(key, client);
    ctx.counters.flow(true);
    let end = () => {
      if (client.closed) return;
      client.closed = true;
      if (flows.get(key) === client) flows.delete(key);
      ctx.counters.flow(false);
      gone();
    };
    const fields = { forward: ctx.name, client: key, peer: ctx.via, target };
    // So the peer never holds more than the cap of this forward's streams, even for a moment.
    const opened = after ? after.gone.then(() => (closing ? stopped() : ctx.open())) : ctx.open();
    opened.then(
      (stream) => {
        if (closing || client.closed) {
          stream.destroy();
          return end();
        }
        ctx.opened();
        const listed = ctx.track?.({
          kind: 'udp',
          peer: ctx.via,
          from: key,
          to: target,
          close: (reason) => {
            stream.destroy(new ClawError('STREAM_RESET', reason));
            end();
          },
        });
        const ended = end;
        end = () => {
          listed?.end();
          ended();
        };
        // A flow reset because the exit's owner took the permission away, or cut with the link: said
        // as for TCP connections (the client only stops hearing back).
        reportCutConnections(stream, ctx, ctx.via, fields);
        // One callback for every reply of the flow, not a closure per datagram.
        const afterSend = (err: Error | null) => {
          if (err) ctx.counters.dropped();
        };
        client.flow = new UdpStreamFlow(stream, {
          idleMs: ctx.idleMs,
          onDatagram: (d) => {
            ctx.counters.datagramIn(d.length);
            listed?.bytesIn(d.length);
            socket.send(d, rinfo.port, rinfo.address, afterSend);
          },
          counters: {
            received: () => undefined,
            sent: (n) => {
              ctx.counters.datagramOut(n);
              listed?.bytesOut(n);
            },
            dropped: () => ctx.counters.dropped(),
          },
          onClose: end,
        });
        for (const d of client.early) client.flow.send(d);
        client.early = [];
      },
      (err: unknown) => {
        if (!closing) ctx.problem(errorMessage(err), fields);
        for (let i = 0; i < client.early.length; i++) ctx.counters.dropped();
        end();
      },
    );
  };

  socket.on('message', (msg, rinfo) => {
    if (closing) return;
    const key = formatHostPort(rinfo.address, rinfo.port);
    const client = flows.get(key);
    if (!client || (client.flow && !client.flow.open)) {
      // Its old flow is ending (idle): this datagram begins a new one, in its place.
      if (client) {
        flows.delete(key);
        return start(key, rinfo, msg, client);
      }
      if (flows.size < maxFlows) return start(key, rinfo, msg);
      const evicted = evictIdlest();
      if (!evicted) return ctx.counters.dropped();
      return start(key, rinfo, msg, evicted);
    }
    if (client.flow) {
      client.flow.send(msg);
      return;
    }
    if (client.earlyBytes + msg.length > UDP_FLOW_QUEUE_FLOOR_BYTES) return ctx.counters.dropped();
    client.early.push(msg);
    client.earlyBytes += msg.length;
  });

  /** The socket's kernel drops already taken (a new socket starts at 0). */
  let kernelDropsTaken = 0;

  return {
    address: formatHostPort(bound.address, bound.port),
    get flows() {
      return flows.size;
    },
    takeKernelDrops: () => {
      if (closing) return 0;
      const now = readKernelDrops(bound.address, bound.port);
      if (now === null || now <= kernelDropsTaken) return 0;
      const n = now - kernelDropsTaken;
      kernelDropsTaken = now;
      return n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const client of flows.values()) client.flow?.close('the forward stopped');
        socket.close(() => resolve());
      }),
  };
}
