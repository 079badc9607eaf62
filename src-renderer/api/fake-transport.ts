/**
 * A Transport with no agent behind it, for unit tests: each method answers from a handler the test
 * sets, events and connection changes are pushed by the test, and every call is recorded so a test can
 * assert what the page asked for (and with which parameters — the approval rule depends on them).
 */
import {
  ApiError,
  Listeners,
  type ConnectionState,
  type Disposer,
  type EventListener,
  type StreamChannel,
  type StreamMethod,
  type Transport,
} from './transport.js';

type Handler = (params: unknown) => unknown;

export class FakeTransport implements Transport {
  readonly calls: { method: string; params: unknown }[] = [];
  readonly handlers = new Map<string, Handler>();
  private readonly events = new Listeners<[string, unknown]>();
  private readonly states = new Listeners<[ConnectionState]>();
  state: ConnectionState;

  constructor(state: ConnectionState = { kind: 'connected' }) {
    this.state = state;
  }

  /** Answers `method` with `handler(params)`; throw an ApiError from it to answer with an error. */
  on(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  request(method: string, params: unknown): Promise<unknown> {
    this.calls.push({ method, params });
    const handler = this.handlers.get(method);
    if (!handler) return Promise.reject(new ApiError('BAD_ARGUMENT', `no fake for ${method}`));
    try {
      return Promise.resolve(handler(params));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  subscribe(listener: EventListener): Disposer {
    return this.events.add(listener);
  }

  emit(event: string, data: unknown): void {
    this.events.emit(event, data);
  }

  setState(state: ConnectionState): void {
    this.state = state;
    this.states.emit(state);
  }

  onState(listener: (state: ConnectionState) => void): Disposer {
    return this.states.add(listener);
  }

  openStream(method: StreamMethod, params: unknown): Promise<{ result: unknown; channel: StreamChannel }> {
    return this.request(method, params).then((result) => ({ result, channel: new FakeChannel() }));
  }

  close(): void {}
}

/** A stream channel a test drives from the agent's side: `push` delivers, `sent` records. */
export class FakeChannel implements StreamChannel {
  readonly sent: Uint8Array[] = [];
  private readonly messages = new Listeners<[Uint8Array]>();
  private readonly closes = new Listeners<[string | null]>();
  closed = false;

  send(bytes: Uint8Array): void {
    if (!this.closed) this.sent.push(bytes);
  }
  push(bytes: Uint8Array): void {
    this.messages.emit(bytes);
  }
  onMessage(listener: (bytes: Uint8Array) => void): Disposer {
    return this.messages.add(listener);
  }
  onClose(listener: (reason: string | null) => void): Disposer {
    return this.closes.add(listener);
  }
  close(reason: string | null = null): void {
    if (this.closed) return;
    this.closed = true;
    this.closes.emit(reason);
  }
}
