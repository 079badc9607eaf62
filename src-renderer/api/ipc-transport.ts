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

/**
 * What this file uses of the page's window and its MessagePorts, declared here rather than taken from
 * the DOM typings: its Node tests (test/unit/electron/ipc-api.test.ts) type-check with main's config,
 * which has no DOM.
 */
interface PagePort {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

interface PageMessage {
  source: unknown;
  data: unknown;
  ports: readonly PagePort[];
}

interface PageWindow {
  addEventListener(type: 'message', listener: (event: PageMessage) => void): void;
  removeEventListener(type: 'message', listener: (event: PageMessage) => void): void;
}

/** The page's window (`window.window` is the window itself; a Node test puts a stand-in there). */
const pageWindow = (): PageWindow => (globalThis as unknown as { window: PageWindow }).window;

/** Waits for the port the preload posts for `streamId`. */
function portFor(streamId: string, timeoutMs = 10_000): Promise<PagePort> {
  const page = pageWindow();
  return new Promise((resolve, reject) => {
    const onMessage = (e: PageMessage) => {
      const data = e.data as { type?: unknown; streamId?: unknown } | null;
      if (e.source !== page || data?.type !== 'clawbridge:stream' || data.streamId !== streamId) return;
      const port = e.ports[0];
      if (!port) return;
      page.removeEventListener('message', onMessage);
      clearTimeout(timer);
      resolve(port);
    };
    const timer = setTimeout(() => {
      page.removeEventListener('message', onMessage);
      reject(new ApiError('INTERNAL', 'the app did not hand over the terminal channel'));
    }, timeoutMs);
    page.addEventListener('message', onMessage);
  });
}

function portChannel(port: PagePort): StreamChannel {
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
  port.onmessage = (e) => {
    const data = e.data;
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
