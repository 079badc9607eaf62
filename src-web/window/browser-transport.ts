/**
 * The window's Transport when the browser is the node (ADR 0094): nothing is carried to an agent; each
 * method is answered here, by the browser node, from the lists in methods.ts. The window's connection
 * is to itself, so it is always `connected`; whether the relay and each device can be reached shows
 * in the devices' states (devices.ts) and in a terminal's STATUS frames. Every change the window shows
 * goes out as the agent's `status` event, numbered as the agent numbers them (`seq`).
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
} from '../../src-renderer/api/transport.js';
import { statusOf } from './methods-node.js';
import type { Method, StreamMethodImpl, WindowNode } from './node-context.js';

/** The parts of a WindowNode the transport supplies itself (its events). */
export type WindowNodeParts = Omit<WindowNode, 'changed' | 'emit'>;

export class BrowserTransport implements Transport {
  readonly state: ConnectionState = { kind: 'connected' };
  private readonly events = new Listeners<[string, unknown]>();
  private seq = 0;
  readonly node: WindowNode;

  constructor(
    parts: WindowNodeParts,
    private readonly methods: Readonly<Record<string, Method>>,
    private readonly streams: Readonly<Record<string, StreamMethodImpl>>,
  ) {
    this.node = { ...parts, changed: () => this.changed(), emit: (e, d) => this.events.emit(e, d) };
  }

  serves(method: string): boolean {
    return Object.hasOwn(this.methods, method) || Object.hasOwn(this.streams, method);
  }

  request(method: string, params: unknown): Promise<unknown> {
    const answer = Object.hasOwn(this.methods, method) ? this.methods[method] : undefined;
    if (!answer) return Promise.reject(notServed(method));
    try {
      return answer(this.node, params);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  openStream(method: StreamMethod, params: unknown): Promise<{ result: unknown; channel: StreamChannel }> {
    const open = Object.hasOwn(this.streams, method) ? this.streams[method] : undefined;
    if (!open) return Promise.reject(notServed(method));
    try {
      return open(this.node, params);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  subscribe(listener: EventListener): Disposer {
    return this.events.add(listener);
  }

  onState(): Disposer {
    // Never changes: the node is this page.
    return () => undefined;
  }

  close(): void {
    this.events.clear();
  }

  /** Something the window shows changed: the agent's `changed` and `status` events, one `seq`. */
  private changed(): void {
    const seq = ++this.seq;
    this.events.emit('changed', { seq, domains: ['peers'] });
    this.events.emit('status', { seq, status: statusOf(this.node), pending: [], forwards: [], proxies: [] });
  }
}

function notServed(method: string): ApiError {
  return new ApiError('NOT_SUPPORTED', `a browser does not do ${method}`);
}
