/**
 * Local TCP listeners for forwards and proxies: loopback by default, a clear one-line error when the
 * address is taken or not local, half-open sockets (a client's FIN must not close our write side) that
 * start paused (nothing is read before the handler is ready for it), and a cap on connections at once,
 * in total and per source address, so one listener cannot take the agent's file descriptors.
 */
import { LOCAL_SOCKET_HIGH_WATER_BYTES } from './splice.js';
import { BlockList, createServer, isIP, type Server, type Socket } from 'node:net';
import { ConnectionCap } from '../core/connection-cap.js';
import { ClawError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  const family = isIP(h);
  // BlockList compares addresses, not spellings: 0:0:0:0:0:0:0:1 is ::1, ::ffff:7f00:1 is 127.0.0.1.
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/**
 * Connections one forward or proxy listener holds at once. Each holds a file descriptor here (and a
 * stream to the peer); without a cap a client in a loop (or, on a LAN address, anyone on the LAN) could
 * take the agent to its fd limit, and the control socket, the web UI and every other listener with it.
 * A browser behind the SOCKS proxy opens at most ~256, so 1024 leaves it room several times over.
 * Over the cap a new connection is closed at once, before it is read: the ones already forwarding carry
 * someone's data and are never ended to make room.
 */
export const MAX_FORWARD_CONNECTIONS = 1024;

/**
 * Connections from one source address (IPv6: one /64) on one forward or proxy listener: half of
 * MAX_FORWARD_CONNECTIONS, so on a LAN address one host cannot hold all of them; on loopback every
 * local program shares 127.0.0.1 and the total is what counts.
 */
export const MAX_FORWARD_CONNECTIONS_PER_SOURCE = 512;

/** Overrides of the caps above (tests), and what happens at them. */
export interface TcpListenerLimits {
  maxConnections?: number;
  maxConnectionsPerSource?: number;
  /**
   * At a cap (core/connection-cap.ts): `refuse` the new connection (the default), or `evict` the
   * oldest one its handler has not called `protect` for (reset, through `evict` when given).
   */
  policy?: 'refuse' | 'evict';
  evict?: (socket: Socket) => void;
}

/** What a listener's handler may say about a connection it was handed. */
export interface AcceptedConnection {
  /** It proved itself (its target answered): never evicted to make room for a new one. */
  protect(): void;
}

export interface TcpListener {
  server: Server;
  /** The bound `host:port` (the real port when 0 was asked for). */
  address: string;
  /**
   * Stops accepting, resets open connections, and resolves once the port is free. `keepConnections`:
   * open connections stay (resumable streams carry them on, ADR 0023) and it resolves as soon as the
   * port is closed, so a new listener can bind it while they last.
   */
  close(keepConnections?: boolean): Promise<void>;
}

/**
 * Listens on host:port.
 * @throws ClawError('ADDRESS_IN_USE') as `127.0.0.1:8080 is already in use; …`, or ClawError('BAD_ARGUMENT')
 *   when the address is not one of this machine's or needs privileges.
 */
export async function listenTcp(
  host: string,
  port: number,
  onConnection: (socket: Socket, accepted: AcceptedConnection) => void,
  limits: TcpListenerLimits = {},
): Promise<TcpListener> {
  const sockets = new Set<Socket>();
  const cap = new ConnectionCap<Socket>({
    total: limits.maxConnections ?? MAX_FORWARD_CONNECTIONS,
    perSource: limits.maxConnectionsPerSource ?? MAX_FORWARD_CONNECTIONS_PER_SOURCE,
    policy: limits.policy ?? 'refuse',
    evict: (socket) => {
      if (limits.evict) return limits.evict(socket);
      if (!socket.destroyed) socket.resetAndDestroy();
    },
  });
  const server = createServer(
    { allowHalfOpen: true, pauseOnConnect: true, highWaterMark: LOCAL_SOCKET_HIGH_WATER_BYTES },
    (socket) => {
      if (!cap.admit(socket, socket.remoteAddress)) {
        socket.on('error', () => undefined);
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => {
        sockets.delete(socket);
        cap.release(socket);
      });
      socket.setNoDelay(true);
      onConnection(socket, { protect: () => cap.protect(socket) });
    },
  );
  const wanted = formatHostPort(host, port);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, wanted)));
    server.listen({ host, port }, () => resolve());
  });
  server.on('error', () => undefined); // after listen, errors concern single accepts; the server keeps going
  const bound = server.address();
  const address = bound && typeof bound === 'object' ? formatHostPort(bound.address, bound.port) : wanted;
  return {
    server,
    address,
    close: (keepConnections = false) =>
      new Promise<void>((resolve) => {
        if (keepConnections) {
          // server.close()'s callback waits for every connection; the port itself is free at once.
          server.close();
          return setImmediate(resolve);
        }
        // A reset, as its comment says: a graceful close would let the kernel deliver what is still
        // queued for the client, after the listener was closed for good (a grant taken away).
        for (const s of sockets) {
          s.on('error', () => undefined);
          if (s.destroyed) continue;
          s.resetAndDestroy();
        }
        server.close(() => resolve());
      }),
  };
}

/** The one-line error for a listen that failed (UDP forwards bind with the same words). */
export function listenError(err: NodeJS.ErrnoException, address: string): ClawError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ClawError(
        'ADDRESS_IN_USE',
        `${address} is already in use; pick another port or stop the program that uses it`,
      );
    case 'EADDRNOTAVAIL':
      return new ClawError(
        'BAD_ARGUMENT',
        `cannot listen on ${address}: it is not an address of this machine`,
      );
    case 'EACCES':
      return new ClawError(
        'BAD_ARGUMENT',
        `cannot listen on ${address}: permission denied (ports below 1024 need privileges)`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ClawError('BAD_ARGUMENT', `cannot listen on ${address}: unknown host name`);
    default:
      return new ClawError('BAD_ARGUMENT', `cannot listen on ${address}: ${err.message}`);
  }
}
