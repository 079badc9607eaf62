/**
 * In-memory stand-ins for the parts of `electron` the shell uses, and an AgentConnection the test
 * drives. They record what the shell did in plain fields (the tray's menu and tooltip, windows and
 * the page each loaded, notifications shown, the clipboard, calls the agent received) so tests assert
 * on what the user would see, and click menu items and notifications the way a user would.
 */
import { EventEmitter } from 'node:events';
import type { ShellElectron } from '../../../src-main/electron/shell.js';
import type { AgentConnection, AgentHostState } from '../../../src-main/electron/agent-connection.js';
import type { ApiEvents, MethodName, MethodParams, MethodResults } from '../../../src-main/api/contract.js';

export interface FakeMenuItem {
  label?: string;
  type?: string;
  role?: string;
  enabled?: boolean;
  checked?: boolean;
  click?: () => void;
  submenu?: FakeMenuItem[];
}

class FakeApp extends EventEmitter {
  hasLock = true;
  sandboxed = false;
  exitCode: number | null = null;
  readonly protocols: { scheme: string; path?: string; args?: string[] }[] = [];
  appMenu: { items: FakeMenuItem[] } | null | undefined = undefined;
  readonly dock = { hidden: false, hide: () => void (this.dock.hidden = true) };
  /** macOS: this launch was the login item's. */
  wasOpenedAtLogin = false;
  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: this.wasOpenedAtLogin };
  }
  constructor(private readonly userData: string) {
    super();
  }
  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }
  /** A restart to update lets the next version take the lock while this one exits. */
  releaseSingleInstanceLock(): void {
    this.hasLock = false;
  }
  enableSandbox(): void {
    this.sandboxed = true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`unexpected getPath(${name})`);
    return this.userData;
  }
  setAsDefaultProtocolClient(scheme: string, path?: string, args?: string[]): boolean {
    this.protocols.push({ scheme, ...(path ? { path } : {}), ...(args ? { args } : {}) });
    return true;
  }
  /** Like Electron: 'before-quit' listeners may call preventDefault to keep the app alive. */
  quit(): void {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) this.exitCode = 0;
  }
  exit(code: number): void {
    this.exitCode = code;
  }
  get exited(): boolean {
    return this.exitCode !== null;
  }
  /** macOS hands a link to the running app. */
  openUrl(url: string): void {
    this.emit('open-url', { preventDefault() {} }, url);
  }
}

export class FakeWindow extends EventEmitter {
  static all: FakeWindow[] = [];
  loaded: { file: string; hash: string | undefined } | null = null;
  visible = false;
  /** Has the keyboard focus (the user is in it, not in another app). */
  focused = false;
  maximized = false;
  destroyed = false;
  bounds = { x: 0, y: 0, width: 0, height: 0 };
  constructor(readonly options: Record<string, unknown>) {
    super();
    const { x, y, width, height } = options as Record<string, number>;
    this.bounds = { x: x ?? 100, y: y ?? 100, width: width ?? 0, height: height ?? 0 };
    FakeWindow.all.push(this);
  }
  /** Pages load at once unless a test holds them (`holdLoads`), then finish with finishLoad(). */
  static holdLoads = false;
  readonly webContents = new EventEmitter();
  loadFile(file: string, options: { hash?: string } = {}): Promise<void> {
    this.loaded = { file, hash: options.hash };
    this.emit('ready-to-show');
    if (!FakeWindow.holdLoads) this.finishLoad();
    return Promise.resolve();
  }
  finishLoad(): void {
    this.webContents.emit('did-finish-load');
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  /** Shown, and focused, as Electron's show() does. */
  show(): void {
    this.visible = true;
    this.focused = true;
  }
  hide(): void {
    this.visible = false;
    this.focused = false;
  }
  focus(): void {
    this.focused = true;
  }
  /** The user switches to another app. */
  blur(): void {
    this.focused = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isFocused(): boolean {
    return this.focused;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  /** The user drags the window somewhere. */
  moveTo(bounds: { x: number; y: number; width: number; height: number }): void {
    this.bounds = bounds;
    this.emit('move');
  }
  /** The user clicks the close button: closes unless a 'close' listener prevents it. */
  userClose(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    this.visible = false;
    this.focused = false;
    this.destroyed = true;
    this.emit('closed');
  }
}

export class FakeTray extends EventEmitter {
  static all: FakeTray[] = [];
  menu: FakeMenuItem[] = [];
  tooltip = '';
  destroyed = false;
  constructor(public image: unknown) {
    super();
    FakeTray.all.push(this);
  }
  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu.items;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Top-level lines in menu order ('—' for separators). */
  labels(): string[] {
    return labelsOf(this.menu);
  }
  /** The item at a path of labels (`['Peers', 'laptop — direct', 'Open terminal']`). */
  find(path: readonly string[]): FakeMenuItem {
    let items = this.menu;
    let found: FakeMenuItem | undefined;
    for (const label of path) {
      found = items.find((i) => i.label === label);
      if (!found) throw new Error(`no '${label}' in [${labelsOf(items).join(', ')}]`);
      items = found.submenu ?? [];
    }
    return found!;
  }
  click(...path: string[]): void {
    const item = this.find(path);
    if (!item.click || item.enabled === false) throw new Error(`'${path.join(' › ')}' is not clickable`);
    item.click();
  }
}

export const labelsOf = (items: readonly FakeMenuItem[]) =>
  items.map((i) => (i.type === 'separator' ? '—' : i.label!));

export class FakeNotification extends EventEmitter {
  static all: FakeNotification[] = [];
  static supported = true;
  shown = false;
  constructor(readonly options: { title: string; body: string }) {
    super();
  }
  static isSupported(): boolean {
    return FakeNotification.supported;
  }
  show(): void {
    this.shown = true;
    FakeNotification.all.push(this);
  }
  click(): void {
    this.emit('click');
  }
}

export function fakeElectron(userData: string) {
  FakeWindow.all = [];
  FakeWindow.holdLoads = false;
  FakeTray.all = [];
  FakeNotification.all = [];
  FakeNotification.supported = true;
  const app = new FakeApp(userData);
  const opened: string[] = [];
  let openPathError = '';
  const clipboard = { text: '', writeText: (text: string) => void (clipboard.text = text) };
  const Menu = {
    buildFromTemplate: (items: FakeMenuItem[]) => ({ items }),
    setApplicationMenu: (menu: { items: FakeMenuItem[] } | null) => void (app.appMenu = menu),
  };
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Menu,
    Notification: FakeNotification,
    clipboard,
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived() {} },
        setPermissionRequestHandler() {},
        setPermissionCheckHandler() {},
      },
    },
    shell: {
      openExternal: () => Promise.resolve(),
      openPath: (path: string) => (opened.push(path), Promise.resolve(openPathError)),
    },
  };
  return {
    app,
    clipboard,
    electron: electron as unknown as ShellElectron,
    /** Folders shown with shell.openPath, in order. */
    openedPaths: opened,
    /** What the next openPath answers ('' = opened). */
    failOpenPath: (error: string) => void (openPathError = error),
  };
}

type EventListener = <E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => void;

/**
 * An agent the test drives: it pushes events and host states, answers calls from `answers` (recording
 * each), and stops the way the test says (at once, or never).
 */
export class FakeConnection implements AgentConnection {
  host: AgentHostState = { kind: 'running' };
  readonly calls: { method: string; params: unknown }[] = [];
  stopped = false;
  /** What the last stop was asked (keepSessions: a restart to update). */
  stopOptions: { keepSessions?: boolean } | undefined;
  stopHangs = false;
  /** What a method answers (otherwise `{}`): a test sets lists the shell reads. */
  answers: Partial<Record<string, unknown>> = { 'connections.list': [], 'files.transfers': [] };
  settings = { notifications: true, messageNotifications: true };
  private readonly events = new Set<EventListener>();
  private readonly hostListeners = new Set<(s: AgentHostState) => void>();

  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResults[M]> {
    this.calls.push({ method, params });
    if (method === 'settings.get') return Promise.resolve(this.settings as MethodResults[M]);
    return Promise.resolve((this.answers[method] ?? {}) as MethodResults[M]);
  }
  onEvent(listener: EventListener): () => void {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }
  emit<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]): void {
    for (const l of this.events) l(event, data);
  }
  hostState(): AgentHostState {
    return this.host;
  }
  onHostState(listener: (state: AgentHostState) => void): () => void {
    this.hostListeners.add(listener);
    return () => this.hostListeners.delete(listener);
  }
  setHost(state: AgentHostState): void {
    this.host = state;
    for (const l of this.hostListeners) l(state);
  }
  openStream(): Promise<never> {
    return Promise.reject(new Error('no streams in the fake'));
  }
  /** "Start agent": a stopped fake agent starts and runs. */
  start(): void {
    this.started += 1;
    if (this.host.kind === 'stopped') this.setHost({ kind: 'running' });
  }
  started = 0;
  stop(options?: { keepSessions?: boolean }): Promise<void> {
    this.stopped = true;
    this.stopOptions = options;
    return this.stopHangs ? new Promise<void>(() => {}) : Promise.resolve();
  }
  /** Methods called, without settings reads (the notification switch is read before each one). */
  actions(): { method: string; params: unknown }[] {
    return this.calls.filter((c) => c.method !== 'settings.get');
  }
}
