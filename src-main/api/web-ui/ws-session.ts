/**
 * What both web UI sockets (`/api`, `/api/stream`) share: the token handshake that must be their first
 * message, the set of authenticated sockets (so replacing the token ends every session that used the
 * old one), and sending JSON without letting a client that does not read grow our memory.
 */
import type { RawData, WebSocket } from 'ws';
import { ConnectionCap } from '../../core/connection-cap.js';
import { tokenMatches } from './ui-token.js';

/** Time a new socket has to send `{"type":"auth","token":…}`, in ms. */
export const AUTH_TIMEOUT_MS = 5_000;

/**
 * WebSockets at once that have not sent the token yet, from every source together. Small, because such
 * a socket is worth nothing until it authenticates (the owner's page does within a round trip): another
 * local user opening 300 of them and reconnecting locked the owner's page out when they shared one cap
 * with authenticated sockets. At this cap the oldest one is ended (connection-cap.ts, policy `evict`),
 * never the new one, so a flood churns its own sockets and the owner's page still gets in. Their TCP
 * connections are the first the server ends at its own cap and are never counted with the requests
 * for the page's files (ui-connections.ts), so the churn cannot cut the page's bundle either.
 */
export const MAX_UNAUTHENTICATED_UI_SOCKETS = 32;

/** Close code for a socket without the right token (HTTP 401, in the 4000–4999 application range). */
export const CLOSE_UNAUTHORIZED = 4401;

/** Close reason for CLOSE_UNAUTHORIZED, in plain words (the page says it its own way, by the code). */
export const UNAUTHORIZED_REASON = 'open the link that clawbridge ui prints';

/** Close code for a message that is not valid JSON (RFC 6455: inconsistent data). */
export const CLOSE_BAD_DATA = 1007;

/** Close code for a message of the wrong kind (text where binary is expected, or the reverse). */
export const CLOSE_UNSUPPORTED_DATA = 1003;

/**
 * Unsent bytes at which a socket is dropped, in bytes (8 MiB): a page that stopped reading (a frozen
 * tab) must not make the agent buffer its replies and events without bound.
 */
export const MAX_SEND_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * The WebSocket subprotocol the page asks for (and the server selects, as browsers require), next to
 * `TOKEN_SUBPROTOCOL_PREFIX + token`: the token then arrives with the upgrade itself. Such a socket is
 * never counted with the sockets still waiting for their token, so no flood of those can end it before
 * its auth message is read. (The page still sends that message; a client without the subprotocol only
 * has the message, and under a flood that churns MAX_UNAUTHENTICATED_UI_SOCKETS it may have to retry.)
 */
export const UI_SUBPROTOCOL = 'clawbridge.v1';

/** Prefix of the subprotocol that carries the token (hex, which a subprotocol name may hold). */
export const TOKEN_SUBPROTOCOL_PREFIX = 'clawbridge-token.';

/** Version in the `ready` message; a page built for another version can tell and say so. */
export const WEB_UI_PROTOCOL_VERSION = 1;

/** A message as text, or undefined for a binary one. */
export function textOf(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

/** Sends `msg` as JSON; drops the socket instead when it holds more than MAX_SEND_BACKLOG_BYTES unsent. */
export function sendJson(ws: WebSocket, msg: unknown): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify(msg));
  if (ws.bufferedAmount > MAX_SEND_BACKLOG_BYTES) ws.terminate();
}

function isAuth(msg: unknown): msg is { type: 'auth'; token: unknown } {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'auth';
}

/** Authenticated sockets and the token they must present. */
export class UiSessions {
  private readonly authenticated = new Set<WebSocket>();
  /** Sockets still waiting for their token; the oldest is terminated to make room (see the cap). */
  private readonly unauthenticated = new ConnectionCap<WebSocket>({
    total: MAX_UNAUTHENTICATED_UI_SOCKETS,
    perSource: MAX_UNAUTHENTICATED_UI_SOCKETS,
    policy: 'evict',
    evict: (ws) => ws.terminate(),
  });

  /** @param onAuthenticated told of each socket that presented the right token (the server protects it). */
  constructor(
    private token: string,
    private readonly onAuthenticated: (ws: WebSocket) => void = () => undefined,
  ) {}

  /** The token in effect. */
  get current(): string {
    return this.token;
  }

  /** Sockets that passed the handshake and are still open. */
  get size(): number {
    return this.authenticated.size;
  }

  /** Sockets still waiting for their token. */
  get waiting(): number {
    return this.unauthenticated.size;
  }

  /** Whether a `Sec-WebSocket-Protocol` header offers the token in effect (see UI_SUBPROTOCOL). */
  offersToken(header: string | undefined): boolean {
    let found = false;
    for (const name of (header ?? '').split(',')) {
      const p = name.trim();
      if (p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) {
        found = tokenMatches(p.slice(TOKEN_SUBPROTOCOL_PREFIX.length), this.token) || found;
      }
    }
    return found;
  }

  /**
   * Waits for `ws`'s first message: the right token calls `onReady` (synchronously, so the caller's
   * listener is in place before the next message is emitted); anything else, or nothing within
   * AUTH_TIMEOUT_MS, closes the socket with CLOSE_UNAUTHORIZED (the server's closeTimeout destroys it
   * soon after if the client does not answer the close). Beyond MAX_UNAUTHENTICATED_UI_SOCKETS waiting,
   * the oldest waiting one is terminated; one whose upgrade carried the token (`tokenOffered`) is not
   * counted there and cannot be.
   */
  admit(ws: WebSocket, onReady: () => void, tokenOffered = false): void {
    // Always admitted: at the cap the oldest waiting socket goes instead (the cap never refuses).
    if (tokenOffered) this.onAuthenticated(ws);
    else this.unauthenticated.admit(ws, undefined);
    const refuse = () => {
      clearTimeout(timer);
      this.unauthenticated.release(ws);
      ws.off('message', onFirst);
      ws.close(CLOSE_UNAUTHORIZED, UNAUTHORIZED_REASON);
    };
    const timer = setTimeout(refuse, AUTH_TIMEOUT_MS);
    const onFirst = (data: RawData, isBinary: boolean) => {
      let msg: unknown;
      try {
        msg = JSON.parse(textOf(data, isBinary) ?? '');
      } catch {
        return refuse();
      }
      if (!isAuth(msg) || !tokenMatches(msg.token, this.token)) return refuse();
      clearTimeout(timer);
      this.unauthenticated.release(ws);
      ws.off('message', onFirst);
      this.authenticated.add(ws);
      ws.once('close', () => this.authenticated.delete(ws));
      this.onAuthenticated(ws);
      onReady();
    };
    ws.on('message', onFirst);
    ws.once('close', () => {
      clearTimeout(timer);
      this.unauthenticated.release(ws);
    });
  }

  /** Puts `token` in effect and closes every session authenticated with the one before. */
  rotate(token: string): void {
    this.token = token;
    for (const ws of this.authenticated) ws.close(CLOSE_UNAUTHORIZED, UNAUTHORIZED_REASON);
    this.authenticated.clear();
  }
}
