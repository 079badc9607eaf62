/**
 * The API over Electron IPC, through the preload's `window.clawbridge` bridge (architecture.md §The desktop app and the window). The bridge
 * is the only thing page script can reach: three functions, no `ipcRenderer`. Replies come back as the
 * same `{ok, result | error}` envelope as the WebSocket's, because an Error thrown across
 * `ipcRenderer.invoke` loses its code and gets its message rewritten.
 *
 * Terminal streams use a MessagePort per terminal. contextBridge cannot hand a MessagePort to page
 * script, so the preload posts it to the window instead: `window.postMessage({type:
 * 'clawbridge:stream', streamId}, '*', [port])`, with the `streamId` the page chose and passed to
 * `openStream` (the page listens before it asks, so the port cannot arrive unseen).
 * Messages on the port are ArrayBuffers (or Uint8Arrays) of whole terminal frames; a `null` message
 * means the other end closed.
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
import { BridgeRequests, connectionOfHost, unwrap, type ClawbridgeBridge } from './ipc-bridge.js';

export { isBridge, type ClawbridgeBridge } from './ipc-bridge.js';

/** Waits for the port the preload posts for `streamId`. */
function portFor(streamId: string, timeoutMs = 10_000): Promise<MessagePort> {
  return new Promise((resolve, reject) => {
    const onMessage = (e: MessageEvent) => {
      const data = e.data as { type?: unknown; streamId?: unknown } | null;
      if (e.source !== window || data?.type !== 'clawbridge:stream' || data.streamId !== streamId) return;
      const port = e.ports[0];
      if (!port) return;
      window.removeEventListener('message', onMessage);
      clearTimeout(timer);
      resolve(port);
    };
    const timer = setTimeout(() => {
      window.removeEventListener('message', onMessage);
      reject(new ApiError('INTERNAL', 'the app did not hand over the terminal channel'));
    }, timeoutMs);
    window.addEventListener('message', onMessage);
  });
}

function portChannel(port: MessagePort): StreamChannel {
  const messages = new Listeners<[Uint8Array]>();
  const closes = new Listeners<[string | null]>();
  let open = true;
  const end = (reason: string | null) => {
    if (!open) return;
    open = false;
    closes.emit(reason);
    messages.clear();
    closes.clear();
    port.close();
  };
  port.onmessage = (e: MessageEvent) => {
    const data: unknown = e.data;
    if (data === null) end(null);
    else if (data instanceof ArrayBuffer) messages.emit(new Uint8Array(data));
    else if (data instanceof Uint8Array) messages.emit(data);
  };
  port.start();
  return {
    send: (bytes) => {
      if (open) port.postMessage(bytes);
    },
    onMessage: (l) => messages.add(l),
    onClose: (l) => closes.add(l),
    close: () => {
      if (open) port.postMessage(null);
      end(null);
    },
  };
}

export class IpcTransport extends BridgeRequests implements Transport {
  private current: ConnectionState = { kind: 'connected' };
  private readonly states = new Listeners<[ConnectionState]>();
  private readonly events = new Listeners<[string, unknown]>();
  private readonly offBridge: Disposer;

  constructor(bridge: ClawbridgeBridge) {
    super(bridge);
    // One subscription on the bridge for the window's lifetime; listeners here come and go. Main is
    // always there while the window is, but the agent it hosts may be restarting (`app.host`).
    this.offBridge = bridge.subscribe((event, data) => {
      const next = event === 'app.host' ? connectionOfHost(data) : null;
      if (next && next.kind !== this.current.kind) {
        this.current = next;
        this.states.emit(next);
      }
      this.events.emit(event, data);
    });
  }

  override subscribe(listener: EventListener): Disposer {
    return this.events.add(listener);
  }

  get state(): ConnectionState {
    return this.current;
  }

  async openStream(
    method: StreamMethod,
    params: unknown,
  ): Promise<{ result: unknown; channel: StreamChannel }> {
    const streamId = crypto.randomUUID();
    const port = portFor(streamId);
    // A refused open never posts a port: keep the waiting promise from reporting an unhandled rejection.
    port.catch(() => undefined);
    const result = unwrap(await this.bridge.openStream(method, params, streamId));
    return { result, channel: portChannel(await port) };
  }

  onState(listener: (state: ConnectionState) => void): Disposer {
    return this.states.add(listener);
  }

  close(): void {
    this.offBridge();
    this.states.clear();
    this.events.clear();
  }
}
