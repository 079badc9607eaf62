/**
 * The API over the agent's web UI WebSocket (docs/web-ui.md): `/api` carries JSON requests, responses
 * and events; each terminal gets its own `/api/stream` socket of binary terminal frames, so one busy
 * terminal never holds up the others or the API. When the agent goes away the transport retries with
 * backoff and re-subscribes by itself; a refused token (close 4401) stops retrying, because only a new
 * link from `clawbridge ui` can fix that.
 */
import { reconnectDelay } from './backoff.js';
import { uiProtocols } from './ui-protocols.js';
import {
  ApiError,
  apiError,
  Listeners,
  type ErrorBody,
  type ConnectionState,
  type Disposer,
  type EventListener,
  type StreamChannel,
  type StreamMethod,
  type Transport,
} from './transport.js';
import type { Hint } from './hint.js';

/** Close code with which the agent refuses a missing or wrong token (docs/web-ui.md). */
export const CLOSE_UNAUTHORIZED = 4401;

/** What a refused token means (the close code says it; the agent's close reason is plain words). */
export const UNAUTHORIZED_TEXT = 'open the link that this command prints';
export const UNAUTHORIZED_HINT: Hint = { argv: ['ui'], where: 'here' };
const UNREACHABLE = 'Clawbridge agent unreachable — try again when it is back';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

type ServerMessage =
  | { type: 'ready'; version: number }
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: ErrorBody }
  | { type: 'event'; event: string; data: unknown };

export interface WebSocketTransportOptions {
  /** `ws://host:port` of the agent's web UI. */
  baseUrl: string;
  token: string;
  /** Injected by tests; the browser's WebSocket otherwise. */
  WebSocketImpl?: typeof WebSocket;
}

export class WebSocketTransport implements Transport {
  private socket: WebSocket | null = null;
  private ready = false;
  private nextId = 1;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly inFlight = new Map<number, Pending>();
  /** Requests made before the first connection is up; sent once it is. */
  private queue: string[] = [];
  private readonly events = new Listeners<[string, unknown]>();
  private readonly states = new Listeners<[ConnectionState]>();
  state: ConnectionState = { kind: 'connecting' };

  constructor(private readonly options: WebSocketTransportOptions) {
    this.connect();
  }

  private get WS(): typeof WebSocket {
    return this.options.WebSocketImpl ?? WebSocket;
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    this.states.emit(state);
  }

  private connect(): void {
    const socket = new this.WS(`${this.options.baseUrl}/api`, uiProtocols(this.options.token));
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: this.options.token }));
    socket.onmessage = (e: MessageEvent) => {
      if (typeof e.data === 'string') this.onMessage(JSON.parse(e.data) as ServerMessage);
    };
    socket.onclose = (e: CloseEvent) => this.onClose(socket, e.code, e.reason);
  }

  private onMessage(msg: ServerMessage): void {
    if (msg.type === 'ready') {
      this.ready = true;
      this.attempt = 0;
      this.socket?.send(JSON.stringify({ type: 'subscribe' }));
      for (const line of this.queue) this.socket?.send(line);
      this.queue = [];
      this.setState({ kind: 'connected' });
    } else if (msg.type === 'response') {
      const pending = this.inFlight.get(msg.id);
      this.inFlight.delete(msg.id);
      if (!pending) return;
      if (msg.ok) pending.resolve(msg.result);
      else pending.reject(apiError(msg.error));
    } else if (msg.type === 'event') {
      this.events.emit(msg.event, msg.data);
    }
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.ready = false;
    const refused = code === CLOSE_UNAUTHORIZED;
    const error = refused
      ? new ApiError('UNAUTHORIZED', UNAUTHORIZED_TEXT, undefined, UNAUTHORIZED_HINT)
      : new ApiError('AGENT_UNREACHABLE', UNREACHABLE);
    for (const p of this.inFlight.values()) p.reject(error);
    this.inFlight.clear();
    this.queue = [];
    if (this.closed) return;
    if (refused) {
      this.setState({ kind: 'unauthorized', reason: UNAUTHORIZED_TEXT, hint: UNAUTHORIZED_HINT });
      return;
    }
    const delay = reconnectDelay(this.attempt++);
    this.setState({
      kind: 'reconnecting',
      retryInMs: delay,
      reason: reason || `connection closed (${code})`,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  request(method: string, params: unknown): Promise<unknown> {
    if (this.state.kind === 'unauthorized') {
      return Promise.reject(new ApiError('UNAUTHORIZED', this.state.reason, undefined, this.state.hint));
    }
    if (this.state.kind === 'reconnecting') {
      return Promise.reject(new ApiError('AGENT_UNREACHABLE', UNREACHABLE));
    }
    const id = this.nextId++;
    const line = JSON.stringify({ type: 'request', id, method, params });
    return new Promise((resolve, reject) => {
      this.inFlight.set(id, { resolve, reject });
      if (this.ready && this.socket) this.socket.send(line);
      else this.queue.push(line);
    });
  }

  subscribe(listener: EventListener): Disposer {
    return this.events.add(listener);
  }

  onState(listener: (state: ConnectionState) => void): Disposer {
    return this.states.add(listener);
  }

  openStream(method: StreamMethod, params: unknown): Promise<{ result: unknown; channel: StreamChannel }> {
    return openWebSocketStream(
      this.WS,
      `${this.options.baseUrl}/api/stream`,
      this.options.token,
      method,
      params,
    );
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close();
  }
}

/** One `/api/stream` socket: auth, open, then binary terminal frames both ways. */
function openWebSocketStream(
  WS: typeof WebSocket,
  url: string,
  token: string,
  method: StreamMethod,
  params: unknown,
): Promise<{ result: unknown; channel: StreamChannel }> {
  return new Promise((resolve, reject) => {
    const socket = new WS(url, uiProtocols(token));
    socket.binaryType = 'arraybuffer';
    const messages = new Listeners<[Uint8Array]>();
    const closes = new Listeners<[string | null]>();
    let opened = false;
    let closeReason: string | null = null;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'auth', token }));
      socket.send(JSON.stringify({ type: 'open', method, params }));
    };
    socket.onmessage = (e: MessageEvent) => {
      if (opened) {
        if (e.data instanceof ArrayBuffer) messages.emit(new Uint8Array(e.data));
        return;
      }
      if (typeof e.data !== 'string') return;
      const msg = JSON.parse(e.data) as
        { type: 'opened'; result: unknown } | { type: 'error'; error: ErrorBody };
      if (msg.type === 'error') {
        closeReason = msg.error.message;
        reject(apiError(msg.error));
        return;
      }
      opened = true;
      resolve({
        result: msg.result,
        channel: {
          send: (bytes) => {
            if (socket.readyState === WS.OPEN) socket.send(bytes);
          },
          onMessage: (l) => messages.add(l),
          onClose: (l) => closes.add(l),
          close: () => socket.close(1000),
        },
      });
    };
    socket.onclose = (e: CloseEvent) => {
      if (!opened) {
        if (e.code === CLOSE_UNAUTHORIZED)
          reject(new ApiError('UNAUTHORIZED', UNAUTHORIZED_TEXT, undefined, UNAUTHORIZED_HINT));
        else reject(new ApiError('AGENT_UNREACHABLE', closeReason ?? UNREACHABLE));
        return;
      }
      closes.emit(e.code === 1000 ? null : e.reason || `connection to the agent lost (${e.code})`);
      messages.clear();
      closes.clear();
    };
  });
}
