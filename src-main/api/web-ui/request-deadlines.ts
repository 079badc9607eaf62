/**
 * Deadlines for the web UI's HTTP requests, kept per connection instead of by Node's sweep. Node
 * enforces `headersTimeout` and `requestTimeout` with one timer that checks every connection every
 * `connectionsCheckingInterval`, and that timer runs from `listen` on, with no connection at all: set
 * to 1 s so a 5 s deadline meant 5–6 s, it woke an idle agent (and the desktop app's agent, all day on
 * a laptop's battery) once a second, two in five of all its wake-ups with two peers linked. Here a
 * timer exists only while a request is under way, as the relay's acceptor does for its connections
 * (relay/accept.ts); server.ts turns Node's sweep off.
 *
 * Per connection:
 * - its next request's headers must be complete within `headersMs` of the connection, or of the end of
 *   the previous response on a kept-alive connection (an idle kept-alive connection is closed sooner
 *   by Node's keepAliveTimeout, 5 s, a timer of the socket's own);
 * - the whole request, body included, within `requestMs` of the same moment: the UI reads no body, and
 *   Node discards an unread one before the next request, so a body sent a byte at a time would hold
 *   the connection for ever;
 * - an upgrade leaves the HTTP deadlines behind: the WebSocket layer bounds its sockets itself (the
 *   token's deadline, ws-session.ts).
 * A connection that misses its deadline is destroyed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface RequestDeadlines {
  /** From the connection (or the previous response's end) to the request's complete headers, in ms. */
  headersMs: number;
  /** From the same moment to the request's last byte, in ms. */
  requestMs: number;
}

/**
 * Whether all of `req` has arrived. Node emits 'request' before it marks a request without a body
 * complete, so that is read from its headers: no Content-Length (or 0) and no Transfer-Encoding.
 */
function received(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  const bodyless = (length === undefined || Number(length) === 0) && !req.headers['transfer-encoding'];
  return req.complete || bodyless;
}

/** A connection's pending deadline; `armed` counts arms, so a late event clears only its own. */
interface Deadline {
  timer: NodeJS.Timeout | undefined;
  armed: number;
  /** When the current request could begin (the connection, or the previous response's end). */
  from: number;
}

/** Arms the deadlines on every connection `server` accepts from now on. */
export function enforceRequestDeadlines(server: Server, { headersMs, requestMs }: RequestDeadlines): void {
  const deadlines = new WeakMap<Socket, Deadline>();
  const arm = (socket: Socket, d: Deadline, ms: number): number => {
    clearTimeout(d.timer);
    d.timer = setTimeout(() => socket.destroy(), Math.max(0, ms));
    d.timer.unref();
    return ++d.armed;
  };
  const clear = (d: Deadline, armed = d.armed) => {
    if (armed !== d.armed) return;
    clearTimeout(d.timer);
    d.timer = undefined;
  };
  /** A request may begin now: its headers have `headersMs`. */
  const awaitRequest = (socket: Socket, d: Deadline) => {
    if (socket.destroyed) return;
    d.from = performance.now();
    arm(socket, d, headersMs);
  };

  server.on('connection', (socket: Socket) => {
    const d: Deadline = { timer: undefined, armed: 0, from: 0 };
    deadlines.set(socket, d);
    awaitRequest(socket, d);
    socket.once('close', () => clear(d));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const d = deadlines.get(socket);
    if (!d) return;
    // The headers are in; the body, if any, has what is left of requestMs. Answering takes what it
    // takes: a large file to a slow remote browser is not cut.
    if (received(req)) clear(d);
    else {
      const armed = arm(socket, d, requestMs - (performance.now() - d.from));
      req.once('end', () => clear(d, armed));
    }
    // The connection may carry another request once this one is answered and read to its end.
    res.once('finish', () => {
      if (received(req)) awaitRequest(socket, d);
      else req.once('end', () => awaitRequest(socket, d));
    });
  });
  server.on('upgrade', (req: IncomingMessage) => {
    const d = deadlines.get(req.socket);
    if (d) clear(d);
  });
}
