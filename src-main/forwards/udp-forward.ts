/**
 * The listening side of a UDP forward: one UDP socket on the forward's address, shared by every client
 * as a real UDP service's is. Each client address (IP and port) is its own flow: the first datagram
 * from it opens a `udp-connect` stream to the exit peer, later ones go down the same stream, and the
 * replies the exit frames back are sent to that client from the forward's port. A flow ends when idle
 * for the forward's idle time, when its stream ends, and when the listener closes.
 *
 * The same listener serves a reverse UDP forward on the peer that listens for it
 * (reverse-listen-service.ts): there each flow's stream is a `reverse-connect` back to the forward's
 * owner, which is the exit; only `open` differs.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClawError, errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { reportCutConnections, type FrontEndContext } from './front-end.js';
import { listenError } from './listener.js';
import type { TrackConnection } from './track-connection.js';
import { UDP_FLOW_QUEUE_FLOOR_BYTES, UDP_SOCKET_BUFFER_BYTES, UdpStreamFlow } from './udp-flow.js';

/** Client flows one UDP forward holds at once; a datagram from a new client beyond is dropped (docs/security.md). */
export const MAX_UDP_FLOWS_PER_FORWARD = 256;

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
}

export interface UdpListener {
  /** The bound `host:port` (the real port when 0 was asked for). */
  address: string;
  /** Client flows open now. */
  readonly flows: number;
  /** Ends every flow and frees the port. */
  close(): Promise<void>;
}

/** A client's flow: datagrams wait in `early` while its stream opens. */
interface ClientFlow {
  flow?: UdpStreamFlow;
  early: Buffer[];
  earlyBytes: number;
  closed: boolean;
}

/**
 * Binds `host:port` for UDP and serves clients as described above.
 * @throws ClawError('ADDRESS_IN_USE' | 'BAD_ARGUMENT') as the TCP listener does.
 */
export async function listenUdp(host: string, port: number, ctx: UdpForwardContext): Promise<UdpListener> {
  const socket = createSocket({
    type: isIP(host) === 6 ? 'udp6' : 'udp4',
    recvBufferSize: UDP_SOCKET_BUFFER_BYTES,
    sendBufferSize: UDP_SOCKET_BUFFER_BYTES,
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
  const flows = new Map<string, ClientFlow>();
  const { target } = ctx;
  let closing = false;

  const start = (key: string, rinfo: RemoteInfo, first: Buffer): void => {
    const client: ClientFlow = { early: [first], earlyBytes: first.length, closed: false };
    flows.set(key, client);
    ctx.counters.flow(true);
    let end = () => {
      if (client.closed) return;
      client.closed = true;
      if (flows.get(key) === client) flows.delete(key);
      ctx.counters.flow(false);
    };
    const fields = { forward: ctx.name, client: key, peer: ctx.via, target };
    ctx.open().then(
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
        ctx.problem(errorMessage(err), fields);
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
      const others = flows.size - (client ? 1 : 0);
      if (others >= (ctx.maxFlows ?? MAX_UDP_FLOWS_PER_FORWARD)) return ctx.counters.dropped();
      // New, or its old flow is ending (idle): this datagram begins a new one.
      return start(key, rinfo, msg);
    }
    if (client.flow) {
      client.flow.send(msg);
      return;
    }
    if (client.earlyBytes + msg.length > UDP_FLOW_QUEUE_FLOOR_BYTES) return ctx.counters.dropped();
    client.early.push(msg);
    client.earlyBytes += msg.length;
  });

  return {
    address: formatHostPort(bound.address, bound.port),
    get flows() {
      return flows.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        for (const client of flows.values()) client.flow?.close('the forward stopped');
        socket.close(() => resolve());
      }),
  };
}
