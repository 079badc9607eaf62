/**
 * The agent's web UI server (docs/web-ui.md): the built renderer over HTTP and the API contract over
 * WebSocket (`/api`, `/api/stream`), on loopback unless the owner explicitly allowed another address.
 * Every request and upgrade passes the Host check, every upgrade the Origin check, every socket the
 * token; every answer carries SECURITY_HEADERS.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClawError, errorMessage } from '../../core/errors.js';
import { formatHostPort, parseHostPort } from '../../core/host-port.js';
import type { ApiHandler, MethodName, MethodParams, MethodResults } from '../contract.js';
import { serveApiSocket } from './api-socket.js';
import { hostAllowed, isLoopbackHost, originAllowed, SECURITY_HEADERS, urlHost } from './http-guard.js';
import { defaultRendererDir, serveStatic } from './static-files.js';
import type { StreamUpgradeHandlers } from '../stream-upgrade.js';
import { serveStreamSocket } from './stream-socket.js';
import { loadOrCreateUiToken, newUiToken, saveUiToken } from './ui-token.js';
import { UiSessions } from './ws-session.js';

/** Largest WebSocket message accepted, in bytes (1 MiB; larger closes the socket with 1009). */
export const MAX_UI_MESSAGE_BYTES = 1024 * 1024;

/** Open WebSockets at once (authenticated or not): bounds what a misbehaving local page can hold. */
export const MAX_UI_SOCKETS = 256;

export interface WebUiOptions {
  /** `HOST:PORT`; port 0 = any free port. */
  listen: string;
  /** Needed for an address other machines can reach (--allow-remote-ui). */
  allowRemote: boolean;
  /** Home holding the token file. */
  home: string;
  handler: ApiHandler;
  /** Streaming methods for `/api/stream`; without them a terminal open is refused with a reason. */
  streams?: StreamUpgradeHandlers;
  /** The built renderer; defaults to dist/renderer next to this package's compiled code. */
  rendererDir?: string;
  /** One line the user should see (a port fallback, a remote-address warning). */
  notice?: (line: string) => void;
}

export interface WebUiServer {
  /** The bound `host:port`. */
  readonly address: string;
  readonly port: number;
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

/** The `ui.url` method: the link to `ui`, after replacing its token when asked. */
export function webUiLink(ui: WebUiServer | null, newToken = false): { url: string } {
  if (!ui) {
    throw new ClawError(
      'BAD_ARGUMENT',
      'the web UI is off (agent --no-ui): restart the agent with --ui-listen 127.0.0.1:7476 to serve it',
    );
  }
  return { url: ui.url(newToken) };
}

/**
 * `api` with `ui.url` answered from the web UI server: the server needs the handler to start, so the
 * agent's handler only refuses the method and this wrapper, made by run-agent, answers it.
 */
export function withWebUiLink(api: ApiHandler, ui: () => WebUiServer | null): ApiHandler {
  return {
    call: <M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> => {
      if (method !== 'ui.url') return api.call(method, params);
      const { newToken } = params as MethodParams<'ui.url'>;
      return Promise.resolve().then(() => webUiLink(ui(), newToken) as MethodResults[M]);
    },
    onEvent: (listener) => api.onEvent(listener),
  };
}

/** Answers an upgrade that is refused, on the raw socket (no WebSocket exists yet). */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const headers = { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' };
  const body = text + '\n';
  const lines = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      lines.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
      '\r\n' +
      body,
  );
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
  const sessions = new UiSessions(loadOrCreateUiToken(opts.home));
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_UI_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  let port = wanted;
  const guard = (req: IncomingMessage) =>
    hostAllowed(req.headers.host, { listenHost: host, port, localAddress: req.socket.localAddress });

  const server = createServer((req, res) => {
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
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!guard(req)) return refuseUpgrade(socket, 421, 'misdirected request');
    if (!originAllowed(req.headers.origin, req.headers.host)) {
      return refuseUpgrade(socket, 403, 'WebSocket from another origin refused');
    }
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/api' && path !== '/api/stream') return refuseUpgrade(socket, 404, 'not found');
    if (wss.clients.size >= MAX_UI_SOCKETS) return refuseUpgrade(socket, 503, 'too many web UI connections');
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      // Errors (oversized or invalid messages) end in a close the ws library sends; nothing to add.
      ws.on('error', () => undefined);
      if (path === '/api') serveApiSocket(ws, opts.handler, sessions);
      else serveStreamSocket(ws, opts.streams, sessions);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  try {
    await listenOn(server, host, wanted).catch(async (err: NodeJS.ErrnoException) => {
      // The link comes from `clawbridge ui`, which asks the agent: any free port serves as well.
      if (err.code !== 'EADDRINUSE' || wanted === 0) throw err;
      await listenOn(server, host, 0);
      opts.notice?.(
        `web UI port ${wanted} is taken; serving it on port ${(server.address() as { port: number }).port}`,
      );
    });
  } catch (err) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `cannot serve the web UI on ${opts.listen}: ${errorMessage(err)} — change --ui-listen, or --no-ui`,
    );
  }
  port = (server.address() as { port: number }).port;
  const warning = remoteWarning(host, port);
  if (warning) opts.notice?.(warning);
  return {
    address: formatHostPort(host, port),
    port,
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
