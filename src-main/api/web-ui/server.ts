/**
 * The agent's web UI server (docs/web-ui.md): the built renderer over HTTP and the API contract over
 * WebSocket (`/api`, `/api/stream`), on loopback unless the owner explicitly allowed another address.
 * Every request and upgrade passes the Host check, every upgrade the Origin check, every socket the
 * token; every answer carries SECURITY_HEADERS.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { addressBlock } from '../../core/address-block.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { formatHostPort, parseHostPort } from '../../core/host-port.js';
import type { ServedApi } from '../contract-registry.js';
import { serveApiSocket } from './api-socket.js';
import { hostAllowed, isLoopbackHost } from '../../core/host-header.js';
import { originAllowed, SECURITY_HEADERS, urlHost } from './http-guard.js';
import { enforceRequestDeadlines } from './request-deadlines.js';
import { defaultRendererDir, serveStatic } from './static-files.js';
import { UiConnections } from './ui-connections.js';
import type { StreamUpgradeHandlers } from '../stream-upgrade.js';
import { serveStreamSocket } from './stream-socket.js';
import { loadOrCreateUiToken, newUiToken, saveUiToken } from './ui-token.js';
import { UI_SUBPROTOCOL, UiSessions } from './ws-session.js';

/**
 * Largest WebSocket message accepted, in bytes (4 MiB, as the control socket's line: a message of up to
 * 1 MiB must fit, base64 and all; larger closes the socket with 1009).
 */
export const MAX_UI_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Authenticated WebSockets at once: bounds what a page holding the token can open (one per terminal tab
 * plus one `/api`). Sockets without the token have their own, smaller cap (MAX_UNAUTHENTICATED_UI_SOCKETS
 * in ws-session.ts), so they can never fill this one and lock the owner out.
 */
export const MAX_UI_SOCKETS = 256;

/**
 * TCP connections the web UI server holds at once, whatever they are (half-sent requests, keep-alive,
 * answers under way, WebSockets). Well below any usual fd limit: 20 000 half-sent requests from
 * 127.0.x.y sources once took the agent to its fd limit and every CLI command failed. At the cap one
 * connection is destroyed to make room (ui-connections.ts): the oldest WebSocket still without the
 * token, else the oldest connection whose request has not arrived, else an answer older than
 * UI_RESPONSE_SHIELD_MS; never an authenticated WebSocket, never a file being sent. A flood so churns
 * its own sockets instead of keeping the owner's page out. Above MAX_UI_SOCKETS, so authenticated
 * sockets can never take all of it.
 */
export const MAX_UI_CONNECTIONS = 512;

/**
 * Connections from one source address (IPv6: one /64) waiting for or carrying a plain HTTP request;
 * WebSockets are not counted here. Matters when the UI listens where other machines reach it
 * (--allow-remote-ui): one remote address then only churns its own connections and never evicts anyone
 * else's. Loopback sources are not counted per source at all: every local user can pick any
 * 127.x.y.z, so the cap limited no one there, while the owner's browser shared the 64 of 127.0.0.1
 * with whoever else used it, and another user's churn ended the page's bundle mid-answer.
 */
export const MAX_UI_CONNECTIONS_PER_SOURCE = 64;

/**
 * How long an answer to a plain HTTP request (the page, its bundle) is shielded from being ended to
 * make room, in ms. A browser on loopback takes milliseconds for the largest file (760 KB), a remote
 * one on a 1 Mbit/s link about 6 s. The bound keeps a client that asks for files and never reads them
 * (pipelining requests to outgrow the kernel's buffers) from holding connections that no flood can
 * make room among for longer than this.
 */
export const UI_RESPONSE_SHIELD_MS = 10_000;

/**
 * Time a request has to send its complete headers, in ms (request-deadlines.ts; Node's `headersTimeout`
 * of 60 s let half-sent requests pile up). A browser sends them in one packet.
 */
export const UI_HEADERS_TIMEOUT_MS = 5_000;

/** Time a whole request may take, headers and body, in ms (Node's `requestTimeout` is 300 s). */
export const UI_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Node's own sweep of the two deadlines above, in ms: as rarely as a timer allows (~24.8 days), since
 * request-deadlines.ts keeps them per connection instead (the sweep woke an idle agent every second).
 */
const NODE_DEADLINE_SWEEP_MS = 2 ** 31 - 1;

/**
 * How long a WebSocket closing handshake may take before the socket is destroyed, in ms (ws default
 * 30 s): a client that ignores our close (a socket refused at its auth deadline) is gone this soon after.
 */
export const UI_CLOSE_TIMEOUT_MS = 1_000;

export interface WebUiOptions {
  /** `HOST:PORT`; port 0 = any free port. */
  listen: string;
  /** Needed for an address other machines can reach (--allow-remote-ui). */
  allowRemote: boolean;
  /** Home holding the token file. */
  home: string;
  handler: ServedApi;
  /** Streaming methods for `/api/stream`; without them a terminal open is refused with a reason. */
  streams?: StreamUpgradeHandlers;
  /** The built renderer; defaults to dist/renderer next to this package's compiled code. */
  rendererDir?: string;
  /** One line the user should see (a port fallback or move, a remote-address warning). */
  notice?: (line: string) => void;
  /**
   * The port it served on last for this `listen` (home/ui-port-file.ts): tried first, so an open page
   * finds it again; absent on a first start.
   */
  lastPort?: number;
}

export interface WebUiServer {
  /** The bound `host:port`. */
  readonly address: string;
  readonly port: number;
  /** The port it served on last (WebUiOptions.lastPort) when that was taken and it serves elsewhere now. */
  readonly movedFrom: number | undefined;
  /** The link to open, `http://127.0.0.1:PORT/#token=…`; `newToken` replaces the token first. */
  url(newToken?: boolean): string;
  close(): Promise<void>;
}

/**
 * Refuses an address other machines can reach unless `allowRemote`; call before anything starts.
 * @throws ClawError('BAD_ARGUMENT') saying which flag to add or change
 */
export function checkUiListen(listen: string, allowRemote: boolean): { host: string; port: number } {
  const hp = parseHostPort(listen);
  if (!allowRemote && !isLoopbackHost(hp.host)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `web UI address ${listen} is reachable from other machines: add --allow-remote-ui to serve it there, ` +
        `or use --ui-listen 127.0.0.1:PORT`,
    );
  }
  return hp;
}

/** The line printed at every start when the UI listens where other machines can reach it. */
export function remoteWarning(host: string, port: number): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return (
    `warning: the web UI listens on ${formatHostPort(host, port)}, reachable from other machines; ` +
    'anyone with its link drives this node'
  );
}

/**
 * The line saying the web UI is not where it was (undefined when it is): off the port it served on
 * last, an open page has lost it and must be opened again; off the `--ui-listen` port on a first start,
 * the port it serves on instead.
 */
export function uiPortMove(
  host: string,
  port: number,
  wanted: number,
  lastPort: number | undefined,
): string | undefined {
  if (lastPort !== undefined) {
    if (port === lastPort) return undefined;
    return (
      `the web UI moved: port ${lastPort}, where it served last, is taken; it is at ` +
      `http://${formatHostPort(host, port)}/ now (a page open on the old port must be opened again: clawbridge ui)`
    );
  }
  if (wanted === 0 || port === wanted) return undefined;
  return `web UI port ${wanted} is taken; serving it on port ${port}`;
}

/** Answers an upgrade that is refused, on the raw socket (no WebSocket exists yet). */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const headers = { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' };
  const body = text + '\n';
  const lines = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  // Destroyed once written: a client that never reads or closes must not keep the socket.
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      lines.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      '\r\n' +
      body,
    () => socket.destroy(),
  );
}

/**
 * The key a connection from `address` is counted under per source, or undefined for loopback, where a
 * source says nothing about who connects (see MAX_UI_CONNECTIONS_PER_SOURCE).
 */
export function sourceOf(address: string | undefined): string | undefined {
  return address === undefined || isLoopbackHost(address) ? undefined : addressBlock(address);
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startWebUi(opts: WebUiOptions): Promise<WebUiServer> {
  const { host, port: wanted } = checkUiListen(opts.listen, opts.allowRemote);
  const connections = new UiConnections<Socket>({
    total: MAX_UI_CONNECTIONS,
    perSource: MAX_UI_CONNECTIONS_PER_SOURCE,
    shieldMs: UI_RESPONSE_SHIELD_MS,
    end: (socket) => socket.destroy(),
  });
  /** The TCP socket under each WebSocket, to mark it in `connections` once it authenticates. */
  const socketOf = new WeakMap<WebSocket, Socket>();
  const sessions = new UiSessions(loadOrCreateUiToken(opts.home), (ws) => {
    const socket = socketOf.get(ws);
    if (socket) connections.authenticated(socket);
  });
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  const wsOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: MAX_UI_MESSAGE_BYTES,
    perMessageDeflate: false,
    closeTimeout: UI_CLOSE_TIMEOUT_MS,
    // Browsers fail a socket whose offered subprotocols get no answer: select ours when offered.
    handleProtocols: (protocols: Set<string>) => (protocols.has(UI_SUBPROTOCOL) ? UI_SUBPROTOCOL : false),
  };
  const wss = new WebSocketServer(wsOptions);
  let port = wanted;
  const guard = (req: IncomingMessage) =>
    hostAllowed(req.headers.host, { listenHost: host, port, localAddress: req.socket.localAddress });

  const server = createServer(
    { headersTimeout: 0, requestTimeout: 0, connectionsCheckingInterval: NODE_DEADLINE_SWEEP_MS },
    (req, res) => {
      // Headers in: the answer is not cut to make room for anyone (ui-connections.ts).
      connections.serving(req.socket);
      res.once('close', () => connections.answered(req.socket));
      if (!guard(req)) {
        res.writeHead(421, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('misdirected request: this server answers only to its own address\n');
        return;
      }
      if (req.url === '/api' || req.url?.startsWith('/api/') || req.url?.startsWith('/api?')) {
        res.writeHead(426, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('this is a WebSocket endpoint\n');
        return;
      }
      serveStatic(req, res, rendererDir, SECURITY_HEADERS);
    },
  );
  enforceRequestDeadlines(server, { headersMs: UI_HEADERS_TIMEOUT_MS, requestMs: UI_REQUEST_TIMEOUT_MS });
  // Counted from the accept, before any byte is parsed; at the cap one that is worth least goes.
  server.on('connection', (socket: Socket) => {
    if (!connections.admit(socket, sourceOf(socket.remoteAddress))) return socket.destroy();
    socket.once('close', () => connections.release(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until it presents the token: among the first to make room, never in the page's per-source count.
    connections.waiting(req.socket);
    socket.on('error', () => socket.destroy());
    if (!guard(req)) return refuseUpgrade(socket, 421, 'misdirected request');
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      return refuseUpgrade(socket, 403, 'WebSocket from another origin refused');
    }
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/api' && path !== '/api/stream') return refuseUpgrade(socket, 404, 'not found');
    if (sessions.size >= MAX_UI_SOCKETS) return refuseUpgrade(socket, 503, 'too many web UI connections');
    const tokenOffered = sessions.offersToken(req.headers['sec-websocket-protocol']);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      socketOf.set(ws, req.socket);
      // Errors (oversized or invalid messages) end in a close the ws library sends; nothing to add.
      ws.on('error', () => undefined);
      if (path === '/api') serveApiSocket(ws, opts.handler, sessions, tokenOffered);
      else serveStreamSocket(ws, opts.handler.contract, opts.streams, sessions, tokenOffered);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const { lastPort } = opts;
  try {
    // The port it served on last first: a page left open finds its agent there (ui-port-file.ts).
    const atLast =
      lastPort !== undefined && lastPort !== wanted
        ? await listenOn(server, host, lastPort).then(
            () => true,
            () => false,
          )
        : false;
    if (!atLast) {
      await listenOn(server, host, wanted).catch(async (err: NodeJS.ErrnoException) => {
        // The link comes from `clawbridge ui`, which asks the agent: any free port serves as well.
        if (err.code !== 'EADDRINUSE' || wanted === 0) throw err;
        await listenOn(server, host, 0);
      });
    }
  } catch (err) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `cannot serve the web UI on ${opts.listen}: ${errorMessage(err)} — change --ui-listen, or --no-ui`,
    );
  }
  port = (server.address() as { port: number }).port;
  const movedFrom = lastPort !== undefined && port !== lastPort ? lastPort : undefined;
  const moved = uiPortMove(host, port, wanted, lastPort);
  if (moved) opts.notice?.(moved);
  const warning = remoteWarning(host, port);
  if (warning) opts.notice?.(warning);
  return {
    address: formatHostPort(host, port),
    port,
    movedFrom,
    url: (rotate = false) => {
      if (rotate) {
        const token = newUiToken();
        saveUiToken(opts.home, token);
        sessions.rotate(token);
      }
      return `http://${urlHost(host)}:${port}/#token=${sessions.current}`;
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
