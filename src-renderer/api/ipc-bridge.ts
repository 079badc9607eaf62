/**
 * The page's side of the preload bridge `window.clawbridge` (see ipc-transport.ts): its shape, and
 * requests and events over it. Nothing here touches the DOM, so the same code is exercised by the
 * shared contract suite in Node (test/integration/api-contract-ipc.test.ts).
 */
import {
  apiError,
  type ConnectionState,
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
  /** The desktop app's file helpers (lib/desktop-files.ts); absent in an older preload. */
  pickFiles?(kind: 'files' | 'folder'): Promise<Envelope<unknown>>;
  pathForFile?(file: unknown): string;
  downloadsDir?(): Promise<Envelope<unknown>>;
  openFolder?(path: string): Promise<Envelope<unknown>>;
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

/**
 * Where the window stands, from main's `app.host` event (the agent's host: src-main/electron/agent-host.ts).
 * Main itself is always there, but the agent it hosts restarts after a crash: meanwhile the window says
 * so, and once it runs again the store reloads as after any reconnect. Null for data that is not a host state.
 */
export function connectionOfHost(data: unknown, now = Date.now()): ConnectionState | null {
  const host = data as {
    kind?: unknown;
    reason?: unknown;
    retryAt?: unknown;
    failure?: { reason?: unknown };
  } | null;
  switch (host?.kind) {
    case 'running':
      return { kind: 'connected' };
    case 'starting':
      return { kind: 'connecting' };
    case 'restarting':
      return {
        kind: 'reconnecting',
        retryInMs: typeof host.retryAt === 'number' ? Math.max(0, host.retryAt - now) : 0,
        reason: typeof host.reason === 'string' ? host.reason : 'the agent ended',
      };
    case 'stopped':
      // Stopped on request, or on a failure retrying cannot fix (a bad config.json): say which.
      return {
        kind: 'reconnecting',
        retryInMs: 0,
        reason: typeof host.failure?.reason === 'string' ? host.failure.reason : 'it was stopped',
        stopped: true,
      };
    default:
      return null;
  }
}
