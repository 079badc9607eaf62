/**
 * The page's side of the preload bridge `window.clawbridge` (see ipc-transport.ts): its shape, and
 * requests and events over it. Nothing here touches the DOM, so the same code is exercised by the
 * shared contract suite in Node (test/integration/api-contract-ipc.test.ts).
 */
import {
  apiError,
  type Disposer,
  type ErrorBody,
  type EventListener,
  type StreamMethod,
} from './transport.js';

export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ErrorBody };

/** What the preload exposes as `window.clawbridge`. */
export interface ClawbridgeBridge {
  request(method: string, params: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: (event: string, data: unknown) => void): () => void;
  openStream(method: StreamMethod, params: unknown, streamId: string): Promise<Envelope<unknown>>;
}

export function isBridge(value: unknown): value is ClawbridgeBridge {
  const v = value as Partial<ClawbridgeBridge> | undefined;
  return (
    typeof v?.request === 'function' &&
    typeof v.subscribe === 'function' &&
    typeof v.openStream === 'function'
  );
}

export function unwrap<T>(env: Envelope<T>): T {
  if (!env.ok) throw apiError(env.error);
  return env.result;
}

/** Requests and events over the bridge; the transport adds terminal streams (MessagePorts) on top. */
export class BridgeRequests {
  constructor(protected readonly bridge: ClawbridgeBridge) {}

  async request(method: string, params: unknown): Promise<unknown> {
    return unwrap(await this.bridge.request(method, params));
  }

  subscribe(listener: EventListener): Disposer {
    return this.bridge.subscribe(listener);
  }
}
