/**
 * Local TCP listeners for forwards and proxies: loopback by default, a clear one-line error when the
 * address is taken or not local, half-open sockets (a client's FIN must not close our write side) that
 * start paused (nothing is read before the handler is ready for it).
 */
import { LOCAL_SOCKET_HIGH_WATER_BYTES } from './splice.js';
import { BlockList, createServer, isIP, type Server, type Socket } from 'node:net';
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

export interface TcpListener {
  server: Server;
  /** The bound `host:port` (the real port when 0 was asked for). */
  address: string;
  /** Stops accepting, resets open connections, and resolves once the port is free. */
  close(): Promise<void>;
}

/**
 * Listens on host:port.
 * @throws ClawError('ADDRESS_IN_USE') as `127.0.0.1:8080 is already in use; …`, or ClawError('BAD_ARGUMENT')
 *   when the address is not one of this machine's or needs privileges.
 */
export async function listenTcp(
  host: string,
  port: number,
  onConnection: (socket: Socket) => void,
): Promise<TcpListener> {
  const sockets = new Set<Socket>();
  const server = createServer(
    { allowHalfOpen: true, pauseOnConnect: true, highWaterMark: LOCAL_SOCKET_HIGH_WATER_BYTES },
    (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.setNoDelay(true);
      onConnection(socket);
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function listenError(err: NodeJS.ErrnoException, address: string): ClawError {
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
