/**
 * What both web UI sockets (`/api`, `/api/stream`) share: the token handshake that must be their first
 * message, the set of authenticated sockets (so replacing the token ends every session that used the
 * old one), and sending JSON without letting a client that does not read grow our memory.
 */
import type { RawData, WebSocket } from 'ws';
import { tokenMatches } from './ui-token.js';

/** Time a new socket has to send `{"type":"auth","token":…}`, in ms. */
export const AUTH_TIMEOUT_MS = 5_000;

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

  constructor(private token: string) {}

  /** The token in effect. */
  get current(): string {
    return this.token;
  }

  /** Sockets that passed the handshake and are still open. */
  get size(): number {
    return this.authenticated.size;
  }

  /**
   * Waits for `ws`'s first message: the right token calls `onReady` (synchronously, so the caller's
   * listener is in place before the next message is emitted); anything else, or nothing within
   * AUTH_TIMEOUT_MS, closes the socket with CLOSE_UNAUTHORIZED.
   */
  admit(ws: WebSocket, onReady: () => void): void {
    const refuse = () => {
      clearTimeout(timer);
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
      ws.off('message', onFirst);
      this.authenticated.add(ws);
      ws.once('close', () => this.authenticated.delete(ws));
      onReady();
    };
    ws.on('message', onFirst);
    ws.once('close', () => clearTimeout(timer));
  }

  /** Puts `token` in effect and closes every session authenticated with the one before. */
  rotate(token: string): void {
    this.token = token;
    for (const ws of this.authenticated) ws.close(CLOSE_UNAUTHORIZED, UNAUTHORIZED_REASON);
    this.authenticated.clear();
  }
}
