/**
 * In-memory stand-ins for the parts of `electron` the shell uses. They record what the shell did in
 * plain fields (menus, windows, handlers) so tests assert on results, not on calls.
 */
import { EventEmitter } from 'node:events';
import type { ShellElectron } from '../../../src-main/electron/shell.js';
import type { AgentPort, AgentStatus } from '../../../src-main/electron/agent-port.js';

export interface FakeMenuItem {
  label?: string;
  type?: string;
  enabled?: boolean;
  click?: () => void;
}

class FakeApp extends EventEmitter {
  hasLock = true;
  sandboxed = false;
  exited = false;
  readonly dock = { hidden: false, hide: () => void (this.dock.hidden = true) };
  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }
  enableSandbox(): void {
    this.sandboxed = true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(name: string): string {
    return `/fake/${name}/Clawbridge`;
  }
  /** Like Electron: 'before-quit' listeners may call preventDefault to keep the app alive. */
  quit(): void {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exited = true;
  }
}

export class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  loaded: string | null = null;
  visible = false;
  readonly sent: string[] = [];
  readonly webContents = { send: (channel: string) => void this.sent.push(channel) };
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeWindow.all.push(this);
  }
  loadFile(path: string): Promise<void> {
    this.loaded = path;
    this.emit('ready-to-show');
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return false;
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {}
}

export class FakeTray {
  static all: FakeTray[] = [];
  menu: FakeMenuItem[] = [];
  tooltip = '';
  constructor(readonly image: unknown) {
    FakeTray.all.push(this);
  }
  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu.items;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  /** Enabled labels and greyed-out ones, in menu order ('—' for separators). */
  labels(): string[] {
    return this.menu.map((i) => (i.type === 'separator' ? '—' : i.label!));
  }
  click(label: string): void {
    const item = this.menu.find((i) => i.label === label);
    if (!item?.click) throw new Error(`no clickable '${label}' in the tray menu`);
    item.click();
  }
}

type Handler = (event: { senderFrame: unknown }, ...args: unknown[]) => Promise<unknown>;

export function fakeElectron() {
  FakeWindow.all = [];
  FakeTray.all = [];
  const app = new FakeApp();
  const handlers = new Map<string, Handler>();
  const ipcMain = { handle: (channel: string, handler: Handler) => void handlers.set(channel, handler) };
  const session = {
    defaultSession: {
      webRequest: { onHeadersReceived() {} },
      setPermissionRequestHandler() {},
      setPermissionCheckHandler() {},
    },
  };
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (items: FakeMenuItem[]) => ({ items }) },
    ipcMain,
    nativeImage: { createFromPath: (path: string) => ({ path }) },
    session,
  };
  /** Calls an IPC handler the way Electron would for `ipcRenderer.invoke` from `frame`. */
  const invoke = (channel: string, frame: unknown, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler({ senderFrame: frame }, ...args);
  };
  return { app, invoke, electron: electron as unknown as ShellElectron };
}

/** An agent whose status the test sets; `change()` notifies listeners like the real one. */
export class FakeAgent implements AgentPort {
  running = false;
  stopped = false;
  private readonly listeners = new Set<() => void>();
  constructor(public snapshot: AgentStatus) {}
  start(): Promise<void> {
    this.running = true;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    return Promise.resolve();
  }
  status(): Promise<AgentStatus> {
    return Promise.resolve(structuredClone(this.snapshot));
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  change(next: AgentStatus): void {
    this.snapshot = next;
    for (const l of this.listeners) l();
  }
}
