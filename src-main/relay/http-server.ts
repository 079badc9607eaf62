/**
 * The relay's HTTP(S) server, which never listens itself (the acceptor hands it every connection that is
 * not a splice: accept.ts), and the checks on a browser's upgrade before it may become a WebSocket: its
 * Origin (relay/origin.ts, ADR 0094) and its Host (core/host-header.ts, ADR 0098).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { hostAllowed } from '../core/host-header.js';
import type { RelayMetrics } from './metrics.js';
import { judgeOrigin } from './origin.js';

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The HTTP server, or HTTPS with `tls`, answering `onRequest`. */
export function relayHttpServer(
  tls: { certPem: string; keyPem: string } | undefined,
  onRequest: RequestHandler,
): Server {
  // No headersTimeout/requestTimeout/handshakeTimeout here: Node enforces them only for a server that
  // listens itself, and the acceptor's deadline bounds every connection until its upgrade instead.
  return tls
    ? createHttpsServer(
        {
          cert: tls.certPem,
          key: tls.keyPem,
          minVersion: 'TLSv1.2',
          // No CA list: the relay asks no client for a certificate, so it has none to verify; left unset,
          // Node would parse every root certificate it bundles into this context at the relay's start.
          ca: [],
          // No handshake timer of Node's own: the acceptor's deadline already bounds the handshake, and
          // the cleared timer stayed on every TLS socket (a Timeout and a bound function; ADR 0061).
          // Node arms it only for a value above 0, and takes 0 as its 120 s default.
          handshakeTimeout: -1,
          // No ALPN: Node's HTTPS server offers http/1.1 by default, and then gives every TLS socket a
          // copy of the list, a Buffer whose 8 KiB pool slab it keeps alive (docs/design/relay-memory.md §What a node costs; ADR 0069).
          // Our nodes send no ALPN; a client that does simply gets none chosen.
          ALPNProtocols: undefined,
        },
        onRequest,
      )
    : createHttpServer(onRequest);
}

/** Where the relay listens and the names it serves its page under: what a browser's Host may name. */
export interface RelayHosts {
  /** Set once bound (startRelayServer). */
  bound: { host: string; port: number } | undefined;
  /** The names a browser's Host may name besides loopback and the relay's addresses (page-names.ts). */
  readonly names: ReadonlySet<string>;
}

/**
 * Whether a browser's request names this relay in its `Host` (core/host-header.ts, ADR 0098). The
 * connection's local address is read only when the Host is an address to compare it with: read off
 * a TLS socket, Node keeps it there for the connection's life (ADR 0069).
 */
export function namesThisRelay(req: IncomingMessage, hosts: RelayHosts): boolean {
  if (!hosts.bound) return false;
  const socket = req.socket;
  return hostAllowed(req.headers.host, {
    listenHost: hosts.bound.host,
    port: hosts.bound.port,
    names: hosts.names,
    get localAddress() {
      return socket.localAddress;
    },
  });
}

/**
 * Refuses an upgrade from a browser page of another origin (403) or at a name the relay does not serve
 * (421), counted and logged; true when it did. An upgrade without an Origin (every node's) passes.
 */
export function refusedBrowserUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  allowedOrigins: ReadonlySet<string>,
  hosts: RelayHosts,
  metrics: Pick<RelayMetrics, 'authFailures'>,
  log: Logger,
): boolean {
  const verdict = judgeOrigin(req.headers, allowedOrigins, () => namesThisRelay(req, hosts));
  if (verdict !== 'refused' && verdict !== 'misdirected') return false;
  metrics.authFailures.inc({ reason: verdict === 'refused' ? 'origin_refused' : 'host_refused' });
  log.debug(
    { origin: req.headers.origin?.slice(0, 100), host: req.headers.host?.slice(0, 100) },
    verdict === 'refused'
      ? 'relay refused a browser page of another origin'
      : 'relay refused a browser page at a name it does not serve (--public-name adds one)',
  );
  socket.end(
    verdict === 'refused'
      ? 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
      : 'HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
  );
  return true;
}
