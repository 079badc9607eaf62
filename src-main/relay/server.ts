/**
 * The relay server (architecture.md §Relay): a dumb pipe. It authenticates nodes by a signed challenge, routes
 * circuits between node IDs and forwards opaque frames; it never reads a payload beyond the frame header
 * and keeps none. One HTTP(S) server carries the WebSocket endpoint, GET /healthz and GET /metrics.
 * Every frame a client gets wrong closes that client only, with a code from RelayCloseCode, and is counted.
 */
import { rendezvousAlias } from '../protocol/rendezvous.js';
import { randomBytes, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import { ClawError } from '../core/errors.js';
import { IDLE_TRIM_AFTER_MS, releaseWhenIdle, requestIdleTrim } from '../core/idle-hooks.js';
import { fingerprintOfCert } from '../crypto/signature.js';
import {
  RELAY_CLOSE_REASONS,
  RelayCloseCode,
  relayCloseCodeName,
  type RelayCloseCodeName,
} from '../protocol/relay-close-codes.js';
import {
  decodeRelayFrame,
  relayMessageBytes,
  encodeRelayFrame,
  MAX_TOKEN_BYTES,
  RelayFrameError,
  RELAY_PROTOCOL_VERSION,
  RELAY_FEATURE_LISTEN_TAG,
  RELAY_FEATURE_OBSERVED_ADDRESS,
  RELAY_FEATURE_SPLICE,
  RELAY_FEATURE_SPLICE_SNI,
  CHALLENGE_NONCE_BYTES,
  type ObservedEndpoint,
  type RelayFrame,
} from '../protocol/relay-frames.js';
import { resolveRelayLimits, type RelayLimits } from '../protocol/relay-limits.js';
import { checkHello } from './auth.js';
import { RelayConn } from './connection.js';
import { relayHttpHandler } from './http-endpoints.js';
import { hostAllowed } from '../core/host-header.js';
import { judgeOrigin, normalizeOrigin } from './origin.js';
import { certificateNames, normalizePublicName, originNames } from './page-names.js';
import type { RelayPage } from './page.js';
import { addressBlock } from '../core/address-block.js';
import { RelayAcceptor, type AcceptRefusal } from './accept.js';
import { RelayCapacity, type CapacityOptions, type FullReason } from './capacity.js';
import { IpLimiter, type IpRefusal } from './ip-limits.js';
import { RelayMetrics } from './metrics.js';
import type { CircuitObserver } from './circuit-observer.js';
import { RelayRouter } from './router.js';
import { SpliceBroker } from './splices.js';

export interface RelayServerOptions {
  /** Address to listen on, e.g. `127.0.0.1` or `0.0.0.0`. */
  host: string;
  /** Port to listen on; 0 picks a free one (read it back from `RelayServer.port`). */
  port: number;
  /** Serve wss:// with this certificate; without it the relay speaks ws:// (e.g. behind a TLS proxy). */
  tls?: { certPem: string; keyPem: string };
  /** Access token every node must present in HELLO; undefined = open relay. */
  token?: string;
  /**
   * GET /metrics answers 401 unless it carries `Authorization: Bearer <token>` (the access token above,
   * which it then requires). Off by default: /metrics serves totals only, no node IDs or addresses.
   */
  metricsTokenRequired?: boolean;
  /** Overrides of DEFAULT_RELAY_LIMITS. */
  limits?: Partial<RelayLimits>;
  /**
   * When the relay counts itself full besides limits.maxNodes (relay/capacity.ts): descriptors kept
   * below the soft open-file limit, and the RSS budget in bytes. Defaults: defaultFdReserve, and 90 %
   * of the machine's (or cgroup's) memory.
   */
  capacity?: { fdReserve?: number; memoryBudgetBytes?: number };
  /**
   * Decides, after a node proved its ID, whether this relay serves it (a node acting as relay serves
   * only itself and the peers it allowed to relay). Undefined = every authenticated node. `'guest'`
   * lets it in to reach only the nodes guestMayReach allows (a browser paired with the node acting as
   * relay reaches that node, and no other through it). `listening(id)`: whether node `id` listens on a
   * rendezvous alias here now (has a pairing code open).
   */
  authorize?: (nodeId: string, listening: (id: string) => boolean) => boolean | 'guest';
  /**
   * For a guest: whether a circuit may join it with node `other`, whichever opened it; `byAlias` when
   * the guest opened it to a rendezvous alias `other` listens on. Read at each OPEN, so a grant given
   * or taken a moment ago counts. Undefined: a guest reaches no one. A guest may not listen on aliases.
   */
  guestMayReach?: (guest: string, other: string, byAlias: boolean) => boolean;
  /** Told of each circuit the relay carries (a node acting as relay lists them); optional. */
  circuits?: CircuitObserver;
  logger?: Logger;
  /**
   * Whether LISTEN by alias (nodes from before LISTEN_TAG) is still taken. Default true, so older
   * nodes can show pairing codes through this relay; false refuses it, and then nobody can listen on
   * the ID of a node never seen here (docs/relay-protocol.md §Rendezvous).
   */
  untaggedListen?: boolean;
  /**
   * Browser pages, besides the relay's own (an Origin whose host is the request's Host), whose
   * WebSocket the relay takes: `https://host[:port]` each (relay/origin.ts, ADR 0094). An upgrade
   * without an Origin (every node's) is not affected.
   */
  allowedOrigins?: readonly string[];
  /**
   * Names the relay's page is served under, besides loopback, the listen address, the IP literal a
   * connection arrived on, the names in its TLS certificate and the hosts of allowedOrigins
   * (relay/page-names.ts, ADR 0098): a browser's request for the page, or its upgrade, whose `Host`
   * names none of them is answered 421 (DNS rebinding). A relay behind a TLS-terminating proxy that
   * keeps the Host names its public name here.
   */
  publicNames?: readonly string[];
  /** The browser-node page to serve at `/` (relay/page.ts loadRelayPage); undefined serves none. */
  page?: RelayPage;
}

export interface RelayStats {
  connections: number;
  nodes: number;
  circuits: number;
  /** Splices piping now. */
  splices: number;
  bytesForwarded: number;
}

export interface RelayServer {
  /** `ws://host:port` or `wss://host:port`, with the real port. */
  readonly url: string;
  readonly port: number;
  /** SHA-256 of the TLS certificate (64 hex) when serving wss://. */
  readonly fingerprint?: string;
  readonly limits: Readonly<RelayLimits>;
  /** SHA-256 (hex) of the browser page's index as served, when it serves one (relay/page.ts). */
  readonly pageHash?: string;
  stats(): RelayStats;
  /** Prometheus text, as GET /metrics serves it. */
  metricsText(): Promise<string>;
  /** Closes every connection (1001 going away), then the listener. */
  close(): Promise<void>;
}

/** Sent in CHALLENGE so a node can log what it talks to; the words after the first are features. */
export const RELAY_INFO = `clawbridge-relay/${RELAY_PROTOCOL_VERSION} ${RELAY_FEATURE_SPLICE} ${RELAY_FEATURE_LISTEN_TAG} ${RELAY_FEATURE_SPLICE_SNI} ${RELAY_FEATURE_OBSERVED_ADDRESS}`;

/** How long a closing handshake may take before ws destroys the socket, in ms (ws default 30 s is long enough to pile up refused connections). */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
/** Fragments one message may arrive in; our clients never fragment, so a flood of tiny fragments is abuse. */
const MAX_FRAGMENTS = 64;
/** How long close() waits for closing handshakes before terminating the rest, in ms. */
const SHUTDOWN_GRACE_MS = 1_000;
/** Upper bound of the sweep period (auth, idle and slow-consumer deadlines), in ms. */
const MAX_SWEEP_MS = 1_000;
/**
 * Registrations after which the relay collects once they stop (ADR 0054): each leaves garbage (its TLS
 * handshake, certificate parse and signature check; docs/design/relay-memory.md) that an idle relay,
 * whose heartbeats keep the process from ever counting as quiet (runtime/idle-trim.ts), would otherwise
 * hold indefinitely.
 */
const TRIM_AFTER_REGISTRATIONS = 500;
/** Heartbeat checks per pingIntervalMs: a quiet node is pinged, and a dead one cut, within this fraction of it. */
const HEARTBEAT_TICKS = 3;
/** Silence, in ping intervals, after which the relay pings a connection (a live client pings every one). */
const PING_AFTER_SILENT_INTERVALS = 1.2;
/** While the relay stays full, how often its log repeats so, with the count refused meanwhile, in ms. */
const FULL_LOG_EVERY_MS = 60_000;

const lower = (name: RelayCloseCodeName) => name.toLowerCase();

/** Where a node's WebSocket keeps its RelayConn, for the listeners all nodes share. */
const CONN = Symbol('relayConn');
type ConnSocket = WebSocket & { [CONN]?: RelayConn };

class Relay {
  private readonly conns = new Set<RelayConn>();
  /**
   * WebSockets refused before CHALLENGE and still closing, so close() can end them too; every other
   * one is a RelayConn's in `conns` (one set entry a node, not two: ADR 0112).
   */
  private readonly refusedSockets = new Set<WebSocket>();
  readonly metrics: RelayMetrics;
  readonly router: RelayRouter;
  private readonly ips: IpLimiter;
  private readonly wss: WebSocketServer;
  private readonly splices: SpliceBroker;
  /** Every TCP connection from its accept until it is a WebSocket or a splice (accept.ts). */
  private readonly acceptor: RelayAcceptor;
  /** The HTTP(S) server: it never listens itself, the acceptor hands it every connection that is not a splice. */
  readonly http: Server;
  /** What listens on the port: tells splice lines from TLS and HTTP by their first bytes. */
  readonly listener: NetServer;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Connections that have not authenticated yet: the only ones each sweep tick looks at. */
  private readonly authing = new Set<RelayConn>();
  /** How often, in ms, a sweep passes over every connection (start()), and when it last did. */
  private passEveryMs = MAX_SWEEP_MS;
  private lastPassAt = 0;
  private closing = false;
  /** Backpressure is re-checked as writes towards a node complete (RelayConn.onWritten). */
  private readonly written = (conn: RelayConn): void => this.router.written(conn);
  /**
   * The WebSocket listeners of every node, shared: each finds its RelayConn on the socket (CONN), so a
   * connection holds no closures of its own.
   */
  private readonly wsHandlers = this.sharedWsHandlers();
  /** What the relay can still take (relay/capacity.ts). */
  readonly capacity: RelayCapacity;
  /** Registrations whose garbage the next trim should collect (see sweep). */
  private trimHint = 0;
  /** Told to the idle trim (runtime/idle-trim.ts): non-zero makes it collect, for the garbage is in the heap. */
  private readonly garbage = {
    releaseIdle: (): number => {
      const hint = this.trimHint;
      this.trimHint = 0;
      return hint;
    },
  };
  /** Registrations since the last trim, and when the last one was (ms): see TRIM_AFTER_REGISTRATIONS. */
  private registeredSinceTrim = 0;
  private lastRegisteredAt = 0;
  /** Set while refusing new nodes as full: why, since when the log last said so, and how many since. */
  private full: { reason: FullReason; loggedAt: number; refused: number } | undefined;

  constructor(
    readonly limits: RelayLimits,
    private readonly token: string | undefined,
    tls: RelayServerOptions['tls'],
    private readonly log: Logger,
    private readonly authorize: RelayServerOptions['authorize'],
    metricsToken: string | undefined,
    circuits?: CircuitObserver,
    capacity: Omit<CapacityOptions, 'maxNodes'> = {},
    /** Browser origins taken besides the relay's own page (relay/origin.ts). */
    private readonly allowedOrigins: ReadonlySet<string> = new Set(),
    page?: RelayPage,
    /** The names a browser's Host may name besides loopback and the relay's addresses (page-names.ts). */
    private readonly pageNames: ReadonlySet<string> = new Set(),
  ) {
    this.metrics = new RelayMetrics({
      connections: () => this.conns.size,
      nodes: () => this.router.nodes.size,
      circuits: () => this.router.circuits,
      splices: () => this.splices.active,
      countPiped: () => this.splices.countPiped(),
      nodeCapacity: () => this.capacity.nodeCapacity,
      openFds: () => this.capacity.fdsInUse,
    });
    this.router = new RelayRouter(
      limits,
      this.metrics,
      Date.now,
      (conn, code, detail) => {
        this.metrics.disconnects.inc({ reason: lower(code) });
        this.drop(conn, code, detail);
      },
      circuits,
    );
    this.ips = new IpLimiter(limits);
    this.splices = new SpliceBroker(
      limits.circuitsPerNode,
      this.metrics,
      Date.now,
      (bytes) => {
        this.router.bytesForwarded += bytes;
      },
      circuits,
    );
    this.acceptor = new RelayAcceptor(this.ips, limits.authTimeoutMs, tls !== undefined, {
      http: (socket) => this.http.emit('connection', socket),
      splice: (socket, token, rest) => this.splices.join(socket, token, rest),
      refused: (reason, ip) => this.refusedAtAccept(reason, ip),
      hasRoom: () => this.capacity.canAccept(),
    });
    this.capacity = new RelayCapacity(
      { maxNodes: limits.maxNodes, ...capacity },
      () => this.acceptor.size,
      () => this.conns.size,
    );
    this.capacity.sample();
    releaseWhenIdle(this.garbage);
    this.listener = createNetServer((socket) => this.acceptor.accept(socket));
    const wsOptions: ServerOptions & { closeTimeout: number; maxFragments: number } = {
      noServer: true,
      // Off: payloads are ciphertext, so compression costs throughput and memory per connection for nothing.
      perMessageDeflate: false,
      maxPayload: limits.maxFrameBytes,
      clientTracking: false,
      closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
      maxFragments: MAX_FRAGMENTS,
    };
    this.wss = new WebSocketServer(wsOptions);
    const onRequest = relayHttpHandler({
      metrics: this.metrics,
      metricsToken,
      ips: this.ips,
      page,
      ownHost: (req) => this.ownHost(req),
    });
    // No headersTimeout/requestTimeout/handshakeTimeout here: Node enforces them only for a server that
    // listens itself, and the acceptor's deadline bounds every connection until its upgrade instead.
    this.http = tls
      ? createHttpsServer(
          {
            cert: tls.certPem,
            key: tls.keyPem,
            minVersion: 'TLSv1.2',
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
    this.http.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      if (this.closing) return socket.destroy();
      const verdict = judgeOrigin(req.headers, this.allowedOrigins, () => this.ownHost(req));
      if (verdict === 'refused' || verdict === 'misdirected') {
        this.metrics.authFailures.inc({ reason: verdict === 'refused' ? 'origin_refused' : 'host_refused' });
        this.log.debug(
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
        return;
      }
      const { ip, refusal, tcp } = this.acceptor.upgraded(req.socket);
      // The address block from the acceptor: reading it off the TLS socket would make Node keep its
      // addresses on it for as long as the node stays (ADR 0069).
      const block = ip ?? addressBlock(req.socket.remoteAddress);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, block, refusal, tcp));
    });
  }

  /** Where the relay listens (startRelayServer sets it once bound): what a browser's Host may name. */
  bound: { host: string; port: number } | undefined;

  /**
   * Whether a browser's request names this relay in its `Host` (core/host-header.ts, ADR 0098). The
   * connection's local address is read only when the Host is an address to compare it with: read off
   * a TLS socket, Node keeps it there for the connection's life (ADR 0069).
   */
  private ownHost(req: IncomingMessage): boolean {
    if (!this.bound) return false;
    const socket = req.socket;
    return hostAllowed(req.headers.host, {
      listenHost: this.bound.host,
      port: this.bound.port,
      names: this.pageNames,
      get localAddress() {
        return socket.localAddress;
      },
    });
  }

  private sharedWsHandlers() {
    const onMessage = (conn: RelayConn, data: RawData, isBinary: boolean) =>
      this.onMessage(conn, data, isBinary);
    const onError = (conn: RelayConn, err: Error) => this.onWsError(conn, err);
    const onClosed = (conn: RelayConn) => this.onClosed(conn);
    return {
      message: function (this: ConnSocket, data: RawData, isBinary: boolean): void {
        onMessage(this[CONN]!, data, isBinary);
      },
      pong: function (this: ConnSocket): void {
        this[CONN]!.lastHeard = Date.now();
      },
      ping: function (this: ConnSocket): void {
        const conn = this[CONN]!;
        conn.lastActive = conn.lastHeard = Date.now();
      },
      error: function (this: ConnSocket, err: Error): void {
        onError(this[CONN]!, err);
      },
      close: function (this: ConnSocket): void {
        onClosed(this[CONN]!);
      },
    } satisfies Record<string, (this: ConnSocket, ...args: never[]) => void>;
  }

  private refusedAtAccept(reason: AcceptRefusal, ip: string): void {
    if (reason === 'relay_full') return this.refusedFull('fds');
    if (reason === 'malformed_splice_line') this.metrics.framesRejected.inc({ reason });
    else this.metrics.authFailures.inc({ reason });
    this.log.debug({ ip, reason }, 'relay connection closed before its upgrade');
  }

  start(): void {
    const l = this.limits;
    // One timer (ADR 0061). Each tick looks only at the connections still authenticating; every node
    // is looked at (heartbeat, idle and slow-consumer deadlines) once per pass, a few times per ping
    // interval, so 15,000 idle nodes cost one loop every 5 s, not one a second.
    const passMs = Math.min(
      l.pingIntervalMs / HEARTBEAT_TICKS,
      l.idleTimeoutMs / 4,
      l.slowConsumerTimeoutMs / 4,
    );
    const sweepMs = Math.max(10, Math.min(MAX_SWEEP_MS, l.authTimeoutMs / 4, passMs));
    // Less half a tick, so timer jitter does not skip a tick's worth of pass.
    this.passEveryMs = Math.max(sweepMs, passMs) - sweepMs / 2;
    this.timers.push(setInterval(() => this.sweep(), sweepMs));
    for (const t of this.timers) t.unref();
  }

  stats(): RelayStats {
    this.splices.countPiped();
    return {
      connections: this.conns.size,
      nodes: this.router.nodes.size,
      circuits: this.router.circuits,
      splices: this.splices.active,
      bytesForwarded: this.router.bytesForwarded,
    };
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    const sockets = [...this.refusedSockets, ...[...this.conns].map((conn) => conn.ws)];
    const closed = sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve)));
    for (const conn of this.conns) this.drop(conn, 'GOING_AWAY');
    // Stop accepting now; the callback comes once every accepted connection has closed.
    const listenerClosed = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    const grace = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([Promise.all(closed), grace]);
    for (const ws of sockets) ws.terminate();
    this.splices.closeAll();
    // What is left: TLS handshakes, HTTP requests and splice lines in progress, sockets still closing.
    this.acceptor.destroyAll();
    await listenerClosed;
  }

  /**
   * A new WebSocket from `ip` (the client's IPv4 address or IPv6 /64: what the per-IP limits count, and
   * what the logs name); its TCP connection was counted per IP when accepted (accept.ts), `overLimit`
   * when it came in beyond connectionsPerIp. The upgrade is the node's authentication attempt.
   */
  private onConnection(
    ws: WebSocket,
    ip: string,
    overLimit: IpRefusal | undefined,
    tcp: Socket | undefined,
  ): void {
    // Refused attempts cost nothing: an address over its connections does not also drain its bucket.
    const refusal = overLimit ?? (this.ips.attempt(ip) ? undefined : 'AUTH_RATE_LIMITED');
    if (refusal) {
      this.refuseSocket(ws);
      ws.on('error', () => undefined);
      this.metrics.authFailures.inc({ reason: lower(refusal) });
      this.log.debug({ ip, refusal }, 'relay connection refused');
      ws.close(RelayCloseCode[refusal], RELAY_CLOSE_REASONS[refusal]);
      return;
    }
    // Before CHALLENGE: a full relay spends no nonce or signature check on the node it refuses.
    const full = this.capacity.refusal();
    if (full) {
      this.refuseSocket(ws);
      ws.on('error', () => undefined);
      this.refusedFull(full);
      ws.close(RelayCloseCode.RELAY_FULL, `${RELAY_CLOSE_REASONS.RELAY_FULL} (${full})`);
      return;
    }
    if (this.full) this.hasRoomAgain();
    const conn = new RelayConn(ws, ip, Date.now(), this.written);
    conn.tcp = tcp;
    (ws as ConnSocket)[CONN] = conn;
    this.conns.add(conn);
    this.authing.add(conn);
    // The same five functions for every node (ADR 0061): closures per connection would cost each node memory.
    // ws calls each with the socket as `this`, which is what they read their RelayConn from.
    /* eslint-disable @typescript-eslint/unbound-method */
    const h = this.wsHandlers;
    ws.on('message', h.message);
    ws.on('pong', h.pong);
    ws.on('ping', h.ping);
    ws.on('error', h.error);
    ws.on('close', h.close);
    /* eslint-enable @typescript-eslint/unbound-method */
    const nonce = randomBytes(CHALLENGE_NONCE_BYTES);
    conn.challenge = encodeRelayFrame({
      type: 'challenge',
      nonce,
      maxFrameBytes: this.limits.maxFrameBytes,
      relayInfo: RELAY_INFO,
    });
    ws.send(conn.challenge);
  }

  /** A WebSocket refused before CHALLENGE: kept for close() until it has closed. */
  private refuseSocket(ws: WebSocket): void {
    this.refusedSockets.add(ws);
    ws.once('close', () => this.refusedSockets.delete(ws));
  }

  /** A node's connection closed: it is forgotten everywhere. */
  private onClosed(conn: RelayConn): void {
    this.conns.delete(conn);
    this.authing.delete(conn);
    this.router.teardown(conn);
    this.splices.teardown(conn);
  }

  /** ws rejected what a node sent, and has already closed it with the matching code (1009, 1002, …). */
  private onWsError(conn: RelayConn, err: Error & { code?: string }): void {
    const reason = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame_too_large' : 'ws_protocol';
    this.metrics.framesRejected.inc({ reason });
    this.log.debug({ ip: conn.ip, node: conn.nodeId, err: err.message }, 'relay connection error');
    this.router.teardown(conn);
  }

  private onMessage(conn: RelayConn, data: RawData, isBinary: boolean): void {
    if (conn.phase === 'closed') return;
    conn.lastActive = conn.lastHeard = Date.now();
    try {
      const bytes = relayMessageBytes(data, isBinary);
      const frame = decodeRelayFrame(bytes, this.limits.maxFrameBytes);
      if (conn.phase === 'auth') return this.onHello(conn, frame);
      switch (frame.type) {
        case 'data':
          return this.router.data(conn, frame.circuitId, bytes);
        case 'open':
          return this.router.open(conn, frame.circuitId, frame.target);
        case 'close':
          return this.router.close(conn, frame.circuitId, bytes);
        case 'listen':
          return this.router.listen(conn, frame.alias, frame.listen);
        case 'listen-tag':
          return this.router.listen(conn, rendezvousAlias(frame.tag), frame.listen, true);
        case 'splice':
          return this.splices.offer(conn, frame.circuitId, Buffer.from(frame.token).toString('hex'));
        default:
          throw new RelayFrameError(
            'PROTOCOL',
            `protocol violation: nodes do not send ${frame.type.toUpperCase()} after authentication`,
            RelayCloseCode.PROTOCOL_VIOLATION,
          );
      }
    } catch (err) {
      if (err instanceof RelayFrameError) {
        const name = relayCloseCodeName(err.closeCode) ?? 'MALFORMED_FRAME';
        this.metrics.framesRejected.inc({ reason: lower(name) });
        this.log.debug({ ip: conn.ip, node: conn.nodeId, err: err.message }, 'relay frame rejected');
        return this.drop(conn, name, err.message);
      }
      this.log.error({ err, node: conn.nodeId }, 'relay bug while handling a frame');
      this.drop(conn, 'INTERNAL_ERROR');
    }
  }

  private onHello(conn: RelayConn, frame: RelayFrame): void {
    if (frame.type !== 'hello') {
      throw new RelayFrameError(
        'PROTOCOL',
        `protocol violation: ${frame.type.toUpperCase()} before authentication`,
        RelayCloseCode.PROTOCOL_VIOLATION,
      );
    }
    const challenge = conn.challenge!;
    conn.challenge = undefined;
    const tcp = conn.tcp;
    conn.tcp = undefined;
    const result = checkHello(frame, challenge, this.token);
    if (!result.ok) {
      this.metrics.authFailures.inc({ reason: lower(result.refusal) });
      this.log.debug({ ip: conn.ip, refusal: result.refusal }, 'relay authentication failed');
      return this.drop(conn, result.refusal);
    }
    const allowed = this.authorize ? this.authorize(result.nodeId, (id) => this.listening(id)) : true;
    if (allowed === false) {
      this.metrics.authFailures.inc({ reason: 'not_authorized' });
      this.log.info({ ip: conn.ip, node: result.nodeId }, 'relay refused a node its owner did not allow');
      return this.drop(conn, 'NOT_AUTHORIZED');
    }
    conn.guest = allowed === 'guest';
    this.authing.delete(conn);
    const old = this.router.register(conn, result.nodeId);
    if (old && old !== conn) {
      this.metrics.disconnects.inc({ reason: 'replaced' });
      this.drop(old, 'REPLACED');
    }
    this.metrics.authSuccesses.inc();
    this.registeredSinceTrim += 1;
    this.lastRegisteredAt = Date.now();
    this.log.debug({ ip: conn.ip, node: result.nodeId }, 'relay node authenticated');
    const l = this.limits;
    conn.ws.send(
      encodeRelayFrame({
        type: 'auth-ok',
        nodeId: result.nodeId,
        circuitsPerNode: l.circuitsPerNode,
        idleTimeoutMs: l.idleTimeoutMs,
        ...(frame.wantsObserved ? { observed: observedEndpoint(tcp) } : {}),
      }),
    );
  }

  /** Whether node `id` listens on a rendezvous alias here now. */
  private listening(id: string): boolean {
    const conn = this.router.nodes.get(id);
    return conn?.aliases !== undefined && conn.aliases.size > 0;
  }

  /**
   * Counts a node refused as full and says so in the log: at once when the relay becomes full (or full
   * for another reason), then at most every FULL_LOG_EVERY_MS with the count refused meanwhile.
   */
  private refusedFull(reason: FullReason): void {
    this.metrics.refusedFull.inc({ reason });
    this.metrics.full.set(1);
    const now = Date.now();
    if (this.full?.reason === reason && now - this.full.loggedAt < FULL_LOG_EVERY_MS) {
      this.full.refused += 1;
      return;
    }
    const before = this.full?.refused ?? 0;
    this.full = { reason, loggedAt: now, refused: 0 };
    this.log.warn(
      { reason, nodes: this.conns.size, refusedSinceLastLine: before },
      `relay full: refusing new nodes with close ${RelayCloseCode.RELAY_FULL} (${reason}: ${this.capacity.describe(reason)}); the nodes connected are still served`,
    );
  }

  private hasRoomAgain(): void {
    this.log.warn(
      { nodes: this.conns.size, refusedSinceLastLine: this.full?.refused ?? 0 },
      'relay has room again: taking new nodes',
    );
    this.full = undefined;
    this.metrics.full.set(0);
  }

  /** Closes a connection with a code and stops routing to it at once (not when the socket finally closes). */
  private drop(conn: RelayConn, code: RelayCloseCodeName, detail?: string): void {
    conn.close(code, detail);
    this.router.teardown(conn);
    this.splices.teardown(conn);
  }

  /**
   * One pass over every connection (sweep(), a few times per ping interval; ADR 0054, 0061): the idle
   * and slow-consumer deadlines, and the heartbeat. A connection heard from (a frame, a ping of its own
   * or a pong) within PING_AFTER_SILENT_INTERVALS of its interval needs nothing: our clients ping every
   * pingIntervalMs while they have circuits and every idlePingIntervalMs without, so a live node is
   * never pinged by the relay. A quieter one is pinged, at most every half interval; one silent for
   * (maxMissedPongs + 1) intervals is terminated (an idle one meets idleTimeoutMs first).
   */
  private pass(now: number): void {
    const l = this.limits;
    const busy = l.pingIntervalMs;
    const idle = l.idlePingIntervalMs;
    for (const conn of this.conns) {
      if (conn.phase === 'closed') continue;
      if (conn.phase === 'ready' && conn.pausedBy === 0 && now - conn.lastActive >= l.idleTimeoutMs) {
        this.metrics.disconnects.inc({ reason: 'idle_timeout' });
        this.drop(conn, 'IDLE_TIMEOUT');
        continue;
      }
      if (conn.pressuredSince !== 0 && now - conn.pressuredSince >= l.slowConsumerTimeoutMs) {
        this.metrics.disconnects.inc({ reason: 'slow_consumer' });
        this.drop(conn, 'SLOW_CONSUMER');
        continue;
      }
      // A paused connection cannot read its pongs; the slow-consumer deadline bounds how long it stays paused.
      if (conn.pausedBy > 0) {
        conn.lastHeard = now;
        continue;
      }
      const interval = conn.circuitCount > 0 ? busy : idle;
      const silent = now - conn.lastHeard;
      if (silent >= (l.maxMissedPongs + 1) * interval) {
        this.metrics.disconnects.inc({ reason: 'heartbeat' });
        conn.ws.terminate();
      } else if (silent >= interval * PING_AFTER_SILENT_INTERVALS && now - conn.lastPinged >= interval / 2) {
        conn.lastPinged = now;
        conn.ws.ping();
      }
    }
  }

  private sweep(): void {
    const now = Date.now();
    const l = this.limits;
    for (const conn of this.authing) {
      if (conn.phase === 'auth' && now - conn.openedAt >= l.authTimeoutMs) {
        this.authing.delete(conn);
        this.metrics.authFailures.inc({ reason: 'auth_timeout' });
        this.drop(conn, 'AUTH_TIMEOUT');
      } else if (conn.phase !== 'auth') this.authing.delete(conn);
    }
    if (now - this.lastPassAt >= this.passEveryMs) {
      this.lastPassAt = now;
      this.pass(now);
    }
    this.ips.sweep();
    this.splices.sweep();
    this.capacity.sample();
    if (
      this.registeredSinceTrim >= TRIM_AFTER_REGISTRATIONS &&
      now - this.lastRegisteredAt >= IDLE_TRIM_AFTER_MS
    ) {
      // Non-zero from releaseIdle makes the trim collect: the garbage is in the heap, not in a pool.
      const registrations = (this.trimHint = this.registeredSinceTrim);
      this.registeredSinceTrim = 0;
      const rssBefore = process.memoryUsage.rss();
      const { collected } = requestIdleTrim();
      this.log.info(
        { registrations, collected, rssBefore, rssAfter: process.memoryUsage.rss() },
        'relay trimmed after a burst of registrations',
      );
    }
    if (this.full && this.capacity.refusal() === undefined && this.capacity.canAccept()) this.hasRoomAgain();
  }
}

/** A relay access token the relay takes: 1 to MAX_TOKEN_BYTES bytes (an empty one would be no token). */
export function isRelayToken(token: string): boolean {
  return token !== '' && Buffer.byteLength(token) <= MAX_TOKEN_BYTES;
}

/**
 * Starts a relay. Resolves once listening.
 * @throws ClawError('CONFIG_INVALID') for bad limits or token; the listen error (e.g. EADDRINUSE) as is.
 */
export async function startRelayServer(opts: RelayServerOptions): Promise<RelayServer> {
  const limits = resolveRelayLimits(opts.limits);
  if (opts.token !== undefined && !isRelayToken(opts.token)) {
    throw new ClawError('CONFIG_INVALID', `relay access token must be 1 to ${MAX_TOKEN_BYTES} bytes`);
  }
  if (opts.metricsTokenRequired && opts.token === undefined) {
    throw new ClawError(
      'CONFIG_INVALID',
      'metricsTokenRequired needs a relay access token: /metrics asks for that same token',
    );
  }
  let fingerprint: string | undefined;
  if (opts.tls) {
    try {
      fingerprint = fingerprintOfCert(new X509Certificate(opts.tls.certPem).raw);
    } catch (err) {
      throw new ClawError('CONFIG_INVALID', 'relay TLS certificate is not a readable PEM certificate', {
        cause: err,
      });
    }
  }
  let allowedOrigins: Set<string>;
  let pageNames: Set<string>;
  try {
    allowedOrigins = new Set((opts.allowedOrigins ?? []).map(normalizeOrigin));
    pageNames = new Set([
      ...(opts.publicNames ?? []).map(normalizePublicName),
      ...(opts.tls ? certificateNames(new X509Certificate(opts.tls.certPem)) : []),
      ...originNames(allowedOrigins),
    ]);
  } catch (err) {
    throw new ClawError('CONFIG_INVALID', (err as Error).message);
  }
  const log = opts.logger ?? pino({ level: 'silent' });
  const metricsToken = opts.metricsTokenRequired ? opts.token : undefined;
  const relay = new Relay(
    limits,
    opts.token,
    opts.tls,
    log,
    opts.authorize,
    metricsToken,
    opts.circuits,
    opts.capacity,
    allowedOrigins,
    opts.page,
    pageNames,
  );
  relay.router.untaggedListen = opts.untaggedListen ?? true;
  relay.router.guestMayReach = opts.guestMayReach;
  await new Promise<void>((resolve, reject) => {
    relay.listener.once('error', reject);
    relay.listener.listen(opts.port, opts.host, () => {
      relay.listener.off('error', reject);
      resolve();
    });
  });
  relay.listener.on('error', (err) => log.error({ err }, 'relay listener error'));
  relay.http.on('error', (err) => log.error({ err }, 'relay HTTP server error'));
  relay.start();
  const port = (relay.listener.address() as AddressInfo).port;
  relay.bound = { host: opts.host, port };
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const url = `${opts.tls ? 'wss' : 'ws'}://${host}:${port}`;
  log.info({ url, fingerprint }, 'relay listening');
  return {
    url,
    port,
    ...(fingerprint ? { fingerprint } : {}),
    ...(opts.page ? { pageHash: opts.page.hash } : {}),
    limits,
    stats: () => relay.stats(),
    metricsText: async () => (await relay.metrics.scrape()).body,
    close: () => relay.close(),
  };
}

/**
 * Where `tcp`'s connection comes from, as AUTH_OK tells it: an IPv4 address mapped into IPv6 (a
 * dual-stack listener) as plain IPv4. Undefined when the socket is gone or not ours (then AUTH_OK
 * simply carries none). Behind a TCP proxy this is the proxy's side: docs/relay-protocol.md.
 */
function observedEndpoint(tcp: Socket | undefined): ObservedEndpoint | undefined {
  const address = tcp?.remoteAddress?.toLowerCase();
  const port = tcp?.remotePort;
  if (!address || port === undefined) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  return { address: mapped ? mapped[1]! : address.split('%')[0]!, port };
}
