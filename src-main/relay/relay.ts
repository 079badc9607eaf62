/**
 * The relay as one object (server.ts starts it): it holds the connections and composes the parts that
 * each do one job with them — the acceptor and per-IP limits (accept.ts, ip-limits.ts), the handshake
 * (handshake.ts), the frame dispatch (dispatch.ts) to the router and the splice broker, capacity and its
 * log (capacity.ts, full-log.ts), the sweep (sweep.ts) and the trim after registrations
 * (registration-trim.ts). What is left here is a connection's life: made, listened to, dropped, closed.
 */
import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import { addressBlock } from '../core/address-block.js';
import type { RelayCloseCodeName } from '../protocol/relay-close-codes.js';
import type { RelayLimits } from '../protocol/relay-limits.js';
import { RelayAcceptor, type AcceptRefusal } from './accept.js';
import { RelayCapacity, type CapacityOptions } from './capacity.js';
import type { CircuitObserver } from './circuit-observer.js';
import { RelayConn } from './connection.js';
import { RelayDispatch } from './dispatch.js';
import { RelayFullLog } from './full-log.js';
import { RelayHandshake, type Authorize } from './handshake.js';
import { relayHttpHandler } from './http-endpoints.js';
import { namesThisRelay, refusedBrowserUpgrade, relayHttpServer, type RelayHosts } from './http-server.js';
import { IpLimiter, type IpRefusal } from './ip-limits.js';
import { RelayMetrics } from './metrics.js';
import type { RelayPage } from './page.js';
import { RegistrationTrim } from './registration-trim.js';
import { RelayRouter } from './router.js';
import { SpliceBroker } from './splices.js';
import { RelaySweep } from './sweep.js';

/** How long a closing handshake may take before ws destroys the socket, in ms (ws default 30 s is long enough to pile up refused connections). */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
/** Fragments one message may arrive in; our clients never fragment, so a flood of tiny fragments is abuse. */
const MAX_FRAGMENTS = 64;
/** How long close() waits for closing handshakes before terminating the rest, in ms. */
const SHUTDOWN_GRACE_MS = 1_000;

/** Where a node's WebSocket keeps its RelayConn, for the listeners all nodes share. */
const CONN = Symbol('relayConn');
type ConnSocket = WebSocket & { [CONN]?: RelayConn };

export interface RelayStats {
  connections: number;
  nodes: number;
  circuits: number;
  /** Splices piping now. */
  splices: number;
  bytesForwarded: number;
}

/** What a relay is made with (startRelayServer checks the options and builds these). */
export interface RelaySetup {
  readonly limits: RelayLimits;
  readonly token: string | undefined;
  readonly tls: { certPem: string; keyPem: string } | undefined;
  readonly log: Logger;
  readonly authorize: Authorize | undefined;
  /** The token GET /metrics requires; undefined: /metrics is open. */
  readonly metricsToken: string | undefined;
  readonly circuits?: CircuitObserver | undefined;
  readonly capacity?: Omit<CapacityOptions, 'maxNodes'> | undefined;
  /** Browser origins taken besides the relay's own page (relay/origin.ts). */
  readonly allowedOrigins: ReadonlySet<string>;
  readonly page?: RelayPage | undefined;
  /** The names a browser's Host may name besides loopback and the relay's addresses (page-names.ts). */
  readonly pageNames: ReadonlySet<string>;
}

export class Relay {
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
  /** What the relay can still take (relay/capacity.ts). */
  readonly capacity: RelayCapacity;
  private readonly fullLog: RelayFullLog;
  private readonly handshake: RelayHandshake;
  private readonly dispatch: RelayDispatch;
  private readonly sweep: RelaySweep;
  private readonly trim: RegistrationTrim;
  /** Where the relay listens (startRelayServer sets `bound` once bound) and the names it serves. */
  readonly hosts: RelayHosts;
  private readonly log: Logger;
  private closing = false;
  /** Backpressure is re-checked as writes towards a node complete (RelayConn.onWritten). */
  private readonly written = (conn: RelayConn): void => this.router.written(conn);
  /**
   * The WebSocket listeners of every node, shared: each finds its RelayConn on the socket (CONN), so a
   * connection holds no closures of its own.
   */
  private readonly wsHandlers = this.sharedWsHandlers();

  constructor(s: RelaySetup) {
    const { limits, log } = s;
    this.log = log;
    const drop = (conn: RelayConn, code: RelayCloseCodeName, detail?: string) =>
      this.drop(conn, code, detail);
    this.hosts = { bound: undefined, names: s.pageNames };
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
        this.metrics.disconnects.inc({ reason: code.toLowerCase() });
        this.drop(conn, code, detail);
      },
      s.circuits,
    );
    this.ips = new IpLimiter(limits);
    this.splices = new SpliceBroker(
      limits.circuitsPerNode,
      this.metrics,
      Date.now,
      (bytes) => {
        this.router.bytesForwarded += bytes;
      },
      s.circuits,
    );
    this.acceptor = new RelayAcceptor(this.ips, limits.authTimeoutMs, s.tls !== undefined, {
      http: (socket) => this.http.emit('connection', socket),
      splice: (socket, token, rest) => this.splices.join(socket, token, rest),
      refused: (reason, ip) => this.refusedAtAccept(reason, ip),
      hasRoom: () => this.capacity.canAccept(),
    });
    this.capacity = new RelayCapacity(
      { maxNodes: limits.maxNodes, ...s.capacity },
      () => this.acceptor.size,
      () => this.conns.size,
    );
    this.capacity.sample();
    this.fullLog = new RelayFullLog(this.metrics, log, this.capacity, () => this.conns.size);
    this.trim = new RegistrationTrim(log);
    this.sweep = new RelaySweep({
      limits,
      conns: this.conns,
      metrics: this.metrics,
      drop,
      now: Date.now,
      upkeep: (now) => {
        this.ips.sweep();
        this.splices.sweep();
        this.capacity.sample();
        this.trim.check(now);
        this.fullLog.check();
      },
    });
    this.handshake = new RelayHandshake({
      limits,
      token: s.token,
      authorize: s.authorize,
      log,
      metrics: this.metrics,
      ips: this.ips,
      capacity: this.capacity,
      full: this.fullLog,
      router: this.router,
      drop,
      authenticated: (conn, now) => {
        this.sweep.forget(conn);
        this.trim.registered(now);
      },
    });
    this.dispatch = new RelayDispatch({
      maxFrameBytes: limits.maxFrameBytes,
      handshake: this.handshake,
      router: this.router,
      splices: this.splices,
      metrics: this.metrics,
      log,
      drop,
    });
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
    this.http = relayHttpServer(
      s.tls,
      relayHttpHandler({
        metrics: this.metrics,
        metricsToken: s.metricsToken,
        ips: this.ips,
        page: s.page,
        ownHost: (req) => namesThisRelay(req, this.hosts),
      }),
    );
    this.http.on('upgrade', (req, socket, head: Buffer) => {
      if (this.closing) return socket.destroy();
      if (refusedBrowserUpgrade(req, socket, s.allowedOrigins, this.hosts, this.metrics, log)) return;
      const { ip, refusal, tcp } = this.acceptor.upgraded(req.socket);
      // The address block from the acceptor: reading it off the TLS socket would make Node keep its
      // addresses on it for as long as the node stays (ADR 0069).
      const block = ip ?? addressBlock(req.socket.remoteAddress);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, block, refusal, tcp));
    });
  }

  private sharedWsHandlers() {
    const onMessage = (conn: RelayConn, data: RawData, isBinary: boolean) =>
      this.dispatch.message(conn, data, isBinary);
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
    if (reason === 'relay_full') return this.fullLog.refused('fds');
    if (reason === 'malformed_splice_line') this.metrics.framesRejected.inc({ reason });
    else this.metrics.authFailures.inc({ reason });
    this.log.debug({ ip, reason }, 'relay connection closed before its upgrade');
  }

  start(): void {
    this.sweep.start();
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
    this.sweep.stop();
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
    const refused = this.handshake.admit(ip, overLimit);
    if (refused) {
      this.refusedSockets.add(ws);
      ws.once('close', () => this.refusedSockets.delete(ws));
      ws.on('error', () => undefined);
      ws.close(refused.code, refused.reason);
      return;
    }
    const conn = new RelayConn(ws, ip, Date.now(), this.written);
    conn.tcp = tcp;
    (ws as ConnSocket)[CONN] = conn;
    this.conns.add(conn);
    this.sweep.watch(conn);
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
    this.handshake.challenge(conn);
  }

  /** A node's connection closed: it is forgotten everywhere. */
  private onClosed(conn: RelayConn): void {
    this.conns.delete(conn);
    this.sweep.forget(conn);
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

  /** Closes a connection with a code and stops routing to it at once (not when the socket finally closes). */
  private drop(conn: RelayConn, code: RelayCloseCodeName, detail?: string): void {
    conn.close(code, detail);
    this.router.teardown(conn);
    this.splices.teardown(conn);
  }
}
