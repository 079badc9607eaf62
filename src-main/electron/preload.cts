/**
 * The preload: the only code with a foot in both worlds. It exposes `window.clawbridge` — exactly
 * `request`, `subscribe` and `openStream`, and the file helpers `pickFiles`, `pathForFile`,
 * `downloadsDir` and `openFolder` (files-ipc.ts), `updates` (updates-ipc.ts) and `service` (service-ipc.ts), the bridge src-renderer/api/ipc-bridge.ts describes — and
 * never `ipcRenderer` or an IPC event object, so page script reaches the API contract (and those helpers) and nothing else
 * of Electron or Node. Main validates every message (api-ipc.ts); this file only moves them.
 * CommonJS because sandboxed preloads cannot be ES modules, and self-contained because a sandboxed
 * preload can `require` only 'electron': the channel names repeat api-ipc-channels.ts, and a unit
 * test checks both copies agree.
 */
// `import x = require()` is how a .cts under verbatimModuleSyntax says require(); ESM syntax is refused.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { IpcEnvelope, WindowBridge } from './api-ipc-channels.js';

const { contextBridge, ipcRenderer } = electron;

const REQUEST = 'clawbridge:request';
const SUBSCRIBE = 'clawbridge:subscribe';
const UNSUBSCRIBE = 'clawbridge:unsubscribe';
const EVENT = 'clawbridge:event';
const OPEN_STREAM = 'clawbridge:open-stream';
const STREAM = 'clawbridge:stream';
const PICK_FILES = 'clawbridge:pick-files';
const DOWNLOADS_DIR = 'clawbridge:downloads-dir';
const OPEN_FOLDER = 'clawbridge:open-folder';
const UPDATE_STATUS = 'clawbridge:update-status';
const UPDATE_CHOOSE = 'clawbridge:update-choose';
const UPDATE_CHECK = 'clawbridge:update-check';
const UPDATE_DOWNLOAD = 'clawbridge:update-download';
const UPDATE_RESTART = 'clawbridge:update-restart';
const SERVICE_STATUS = 'clawbridge:service-status';
const SERVICE_SET = 'clawbridge:service-set';

type Listener = Parameters<WindowBridge['subscribe']>[0];

/** The page's window, as far as handing it a MessagePort goes (no DOM types in main's build). */
const page = globalThis as unknown as {
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
};

// One subscription in main per page, however many listeners the page adds.
const listeners = new Set<Listener>();
ipcRenderer.on(EVENT, (_event, name: unknown, data: unknown) => {
  if (typeof name !== 'string') return;
  for (const l of [...listeners]) l(name, data);
});

// The port for a stream the page opened goes to the page's own window; the page picks it up by the
// streamId it chose (ipc-transport.ts). The IPC event itself stays here: it carries `sender`.
ipcRenderer.on(STREAM, (event, message: unknown) => {
  const streamId = (message as { streamId?: unknown } | null)?.streamId;
  // Typed as the DOM's MessagePort, which main's build has no types for: only handed on.
  const port: unknown = (event as { ports?: unknown[] }).ports?.[0];
  if (typeof streamId !== 'string' || !port) return;
  page.postMessage({ type: 'clawbridge:stream', streamId }, '*', [port]);
});

const bridge: WindowBridge = {
  request: (method, params) => ipcRenderer.invoke(REQUEST, method, params) as Promise<IpcEnvelope>,
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError('subscribe takes a function');
    listeners.add(listener);
    if (listeners.size === 1) {
      (ipcRenderer.invoke(SUBSCRIBE) as Promise<IpcEnvelope>).then(
        (reply) => {
          // Refused (not the app's page): the page learns why instead of waiting for events forever.
          if (!reply.ok) listener('app.refused', reply.error);
        },
        // And so when main could not answer at all.
        (err: unknown) =>
          listener('app.refused', {
            code: 'IPC_REJECTED',
            message: err instanceof Error ? err.message : String(err),
          }),
      );
    }
    return () => {
      // Main gone: nothing is left to unsubscribe from.
      if (listeners.delete(listener) && listeners.size === 0)
        ipcRenderer.invoke(UNSUBSCRIBE).catch(() => undefined);
    };
  },
  openStream: (method, params, streamId) =>
    ipcRenderer.invoke(OPEN_STREAM, method, params, streamId) as Promise<IpcEnvelope>,
  // Files (files-ipc.ts): main checks every argument; a dropped file's path is read here, where
  // webUtils is (Electron removed File.path).
  pickFiles: (kind) => ipcRenderer.invoke(PICK_FILES, kind) as Promise<IpcEnvelope>,
  pathForFile: (file) =>
    electron.webUtils.getPathForFile(file as Parameters<typeof electron.webUtils.getPathForFile>[0]),
  downloadsDir: () => ipcRenderer.invoke(DOWNLOADS_DIR) as Promise<IpcEnvelope>,
  openFolder: (path) => ipcRenderer.invoke(OPEN_FOLDER, path) as Promise<IpcEnvelope>,
  // The updater (updates-ipc.ts): main checks the sender and every argument.
  updates: {
    status: () => ipcRenderer.invoke(UPDATE_STATUS) as Promise<IpcEnvelope>,
    choose: (choice) => ipcRenderer.invoke(UPDATE_CHOOSE, choice) as Promise<IpcEnvelope>,
    check: () => ipcRenderer.invoke(UPDATE_CHECK) as Promise<IpcEnvelope>,
    download: () => ipcRenderer.invoke(UPDATE_DOWNLOAD) as Promise<IpcEnvelope>,
    restart: (confirmed) => ipcRenderer.invoke(UPDATE_RESTART, confirmed) as Promise<IpcEnvelope>,
  },
  // The home's service (service-ipc.ts): main checks the sender and the switch.
  service: {
    status: () => ipcRenderer.invoke(SERVICE_STATUS) as Promise<IpcEnvelope>,
    set: (on) => ipcRenderer.invoke(SERVICE_SET, on) as Promise<IpcEnvelope>,
  },
};

contextBridge.exposeInMainWorld('clawbridge', bridge);
