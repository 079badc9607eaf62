/**
 * Electron's IPC, in one process, for the window's transport tests: `ipcMain` (handlers by channel),
 * a page per `loadPage(url)` with its own webContents, top frame (or subframe) and `ipcRenderer`, the
 * real preload (src-main/electron/preload.cts) evaluated for each page in its own V8 context whose
 * only `require`-able module is this fake `electron` — as in a sandboxed preload — and
 * `MessageChannelMain` over Node's MessageChannel. Arguments and replies are structured-cloned like
 * Electron's IPC does, so nothing but data crosses.
 *
 * The page's window (`page.window`) is an EventTarget with postMessage, enough for
 * src-renderer/api/ipc-transport.ts: set `globalThis.window = page.window` before opening a stream.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import ts from 'typescript';
import type { ApiIpcElectron, IpcInvokeEvent, IpcSender } from '../../src-main/electron/api-ipc.js';
import type { MainMessagePort } from '../../src-main/electron/api-ipc-stream.js';
import type { WindowBridge } from '../../src-main/electron/api-ipc-channels.js';

const PRELOAD = fileURLToPath(new URL('../../src-main/electron/preload.cts', import.meta.url));

let compiled: string | undefined;
/** The preload as CommonJS, the way tsc builds preload.cjs. */
function preloadSource(): string {
  compiled ??= ts.transpileModule(readFileSync(PRELOAD, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: PRELOAD,
  }).outputText;
  return compiled;
}

/** Main's end of a MessageChannelMain: Electron's MessagePortMain emits `{data}` events. */
class FakePortMain implements MainMessagePort {
  constructor(readonly port: MessagePort) {}
  on(event: 'message' | 'close', listener: (e: { data: unknown }) => void): this {
    if (event === 'message') this.port.on('message', (data: unknown) => listener({ data }));
    else this.port.on('close', () => (listener as () => void)());
    return this;
  }
  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }
  start(): void {
    this.port.start();
  }
  close(): void {
    this.port.close();
  }
}

class FakeMessageChannelMain {
  readonly port1: FakePortMain;
  readonly port2: FakePortMain;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port1 = new FakePortMain(port1);
    this.port2 = new FakePortMain(port2);
  }
}

/** The page's `window`: messages posted to it arrive as 'message' events from itself. */
export class FakePageWindow extends EventTarget {
  postMessage(data: unknown, _targetOrigin: string, ports: unknown[] = []): void {
    setImmediate(() => {
      const event = Object.assign(new Event('message'), { data, source: this, ports });
      this.dispatchEvent(event);
    });
  }
}

type Handler = (event: IpcInvokeEvent, ...args: unknown[]) => unknown;

export interface FakePage {
  /** What the preload exposed as `window.clawbridge`. */
  bridge: WindowBridge;
  /** Every name the preload exposed in the main world (only 'clawbridge' is expected). */
  exposed: Map<string, unknown>;
  window: FakePageWindow;
  webContents: IpcSender & { destroy(): void };
  /** Messages main sent this page: [channel, ...args]. */
  received: unknown[][];
}

export interface FakeElectronIpc {
  electron: ApiIpcElectron;
  /** Channels with a handler in main now. */
  handled(): string[];
  /** A page at `url`; `subframe` makes its messages come from a frame inside another one. */
  loadPage(url: string, options?: { subframe?: boolean }): FakePage;
}

export function fakeElectronIpc(): FakeElectronIpc {
  const handlers = new Map<string, Handler>();
  let nextId = 1;
  const ipcMain: ApiIpcElectron['ipcMain'] = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };

  const loadPage = (url: string, options: { subframe?: boolean } = {}): FakePage => {
    const window = new FakePageWindow();
    const ipcRenderer = new EventEmitter();
    const received: unknown[][] = [];
    const life = new EventEmitter();
    let destroyed = false;
    const webContents: FakePage['webContents'] = {
      id: nextId++,
      isDestroyed: () => destroyed,
      send(channel, ...args) {
        if (destroyed) throw new Error('Object has been destroyed');
        const copy = structuredClone(args);
        received.push([channel, ...copy]);
        setImmediate(() => ipcRenderer.emit(channel, { sender: ipcRenderer, ports: [] }, ...copy));
      },
      postMessage(channel, message, transfer = []) {
        const copy = structuredClone(message);
        received.push([channel, copy]);
        // The renderer gets the DOM-style end: Node's MessagePort has onmessage / postMessage / start / close.
        const ports = transfer.map((p) => (p as FakePortMain).port);
        setImmediate(() => ipcRenderer.emit(channel, { sender: ipcRenderer, ports }, copy));
      },
      once(event, listener) {
        life.once(event, listener);
        return this;
      },
      destroy() {
        destroyed = true;
        life.emit('destroyed');
      },
    };
    const senderFrame = { url, parent: options.subframe ? { url } : null };
    Object.assign(ipcRenderer, {
      async invoke(channel: string, ...args: unknown[]) {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
        const reply = await handler({ senderFrame, sender: webContents }, ...structuredClone(args));
        return structuredClone(reply);
      },
      send() {
        throw new Error('the preload must not use ipcRenderer.send: every message expects a checked reply');
      },
    });
    const exposed = new Map<string, unknown>();
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer,
      // Electron's webUtils.getPathForFile: a dropped file's path ('' for one with none).
      webUtils: { getPathForFile: (file: { path?: string }) => file.path ?? '' },
    };
    // The sandboxed preload's world: `require('electron')` and nothing else; `window` is the page's.
    const module = { exports: {} };
    const context = createContext({
      module,
      exports: module.exports,
      postMessage: window.postMessage.bind(window),
      require: (id: string) => {
        if (id === 'electron') return electron;
        throw new Error(`module not found: ${id} (a sandboxed preload can require only 'electron')`);
      },
    });
    runInContext(preloadSource(), context, { filename: PRELOAD });
    return {
      bridge: exposed.get('clawbridge') as WindowBridge,
      exposed,
      window,
      webContents,
      received,
    };
  };

  return {
    electron: { ipcMain, MessageChannelMain: FakeMessageChannelMain },
    handled: () => [...handlers.keys()],
    loadPage,
  };
}
