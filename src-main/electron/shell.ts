/**
 * The desktop shell's lifecycle (architecture.md §The desktop app and the window): one instance, no
 * dock icon, lives in the tray, keeps running when the window closes, opens `clawbridge://` links, and
 * on Quit stops the agent before it exits. It reaches the agent only through an AgentConnection, and
 * Electron comes in as a parameter, so tests pass fakes; main.ts passes the real ones.
 */
import { pathToFileURL } from 'node:url';
import type * as electron from 'electron';
import type { ApiEvents } from '../api/contract.js';
import { errorMessage } from '../core/errors.js';
import type { AgentConnection } from './agent-connection.js';
import type { AppEvents } from './api-ipc-channels.js';
import { appMenuTemplate } from './app-menu.js';
import {
  DEEP_LINK_SCHEME,
  deepLinkInArgv,
  deepLinkPlace,
  parseDeepLink,
  refusedLinkPlace,
} from './deep-link.js';
import { launchedAtLogin, type LoginItem } from './login-item.js';
import { createMainWindow, type MainWindow } from './main-window.js';
import { notificationCenter, windowInSight } from './notification-center.js';
import { hardenSession, hardenWebContents } from './security.js';
import { trayController, type TrayController } from './tray-controller.js';
import type { TrayIconState } from './tray-icons.js';
import type { TrayAction } from './tray-menu.js';
import type { DesktopPreferences } from './preferences.js';
import { placeNavigation } from './window-place.js';
import { sendFilesFromTray, type FilesDesktop } from './files-ipc.js';
import type { UpdateController } from './update-controller.js';
import { runningWork } from './update-running.js';
import type { RunningWork } from './update-policy.js';
import { background } from '../core/background.js';

/** The parts of the `electron` module the shell uses. */
export type ShellElectron = Pick<
  typeof electron,
  'app' | 'BrowserWindow' | 'Tray' | 'Menu' | 'Notification' | 'clipboard' | 'screen' | 'session' | 'shell'
>;

/** What the window's IPC transport (api-ipc.ts) gives the shell. */
export interface WindowIpc {
  broadcast<E extends keyof AppEvents>(event: E, data: AppEvents[E]): void;
  dispose(): void;
}

export interface ShellOptions {
  /** Starts the agent's host; called once the app is ready. */
  connect: () => AgentConnection;
  /**
   * Registers the window's API transport for pages loaded from `trustedUrl`, and the updater's
   * channels when the app has one (updates-ipc.ts).
   */
  registerIpc: (
    connection: AgentConnection,
    trustedUrl: string,
    updates: UpdateController | null,
  ) => WindowIpc;
  /**
   * Builds the updater (update-controller.ts) with what only the shell knows: what a restart would
   * interrupt, and the hand-over that keeps served shells for the next version. Absent: no updates.
   */
  updater?: (deps: {
    running: () => Promise<RunningWork>;
    handOver: () => Promise<void>;
  }) => UpdateController;
  /** Absolute paths: the renderer page and the compiled preload. */
  rendererHtml: string;
  preload: string;
  /** The tray image for an icon state. */
  trayIcon: (state: TrayIconState) => electron.NativeImage | string;
  loginItem: LoginItem;
  /** The app's own preferences (the window's bounds): electron-store in main.ts (preferences.ts). */
  preferences: DesktopPreferences;
  /** This process's command line (a deep link or HIDDEN_FLAG may be in it). */
  argv: readonly string[];
  platform: NodeJS.Platform;
  /**
   * How to register the `clawbridge:` scheme: unpackaged (`electron .`), the OS must start Electron
   * with the app's folder, so main.ts passes both; packaged, nothing.
   */
  protocolClient?: { path: string; args: string[] };
  /** The folder of main.log and agent.log (`app.getPath('logs')`), opened by "Open log folder". */
  logDir?: string;
  log?: (line: string) => void;
  /** The native file picker and friends (files-ipc.ts): the tray's "Send files…" needs the picker. */
  files?: FilesDesktop;
  /** Shows an error where the user looks (a native error box), for what the tray started. */
  showError?: (title: string, message: string) => void;
  /** Longest wait for the agent to stop on Quit, in ms (AGENT_STOP_TIMEOUT_MS). */
  stopTimeoutMs?: number;
}

export interface Shell {
  window: MainWindow;
  tray: TrayController;
  quit(): Promise<void>;
}

/** Longest wait for Quit, in ms (5 s): the agent frees its ports well within it; a hung one is left. */
export const AGENT_STOP_TIMEOUT_MS = 5_000;

/** Starts the shell; resolves to null when another instance already runs (this one then quits). */
export async function startShell(e: ShellElectron, options: ShellOptions): Promise<Shell | null> {
  const { app } = e;
  const log = options.log ?? ((line: string) => console.error(line));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.enableSandbox();
  app.dock?.hide();

  // What arrives before the window can open waits here: a link (macOS sends open-url before 'ready'),
  // or null for a second launch without one.
  const early: (string | null)[] = [];
  let openLink: (url: string | null) => void = (url) => void early.push(url);
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openLink(url);
  });
  app.on('second-instance', (_event, argv) => openLink(deepLinkInArgv(argv)));
  const { path: protocolPath, args: protocolArgs } = options.protocolClient ?? {};
  if (
    protocolPath
      ? !app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, protocolPath, protocolArgs)
      : !app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME)
  ) {
    log(`could not register ${DEEP_LINK_SCHEME}:// links with the system`);
  }
  // Closing the window leaves the app in the tray; only Quit ends it.
  app.on('window-all-closed', () => {});
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, e.shell, log));

  await app.whenReady();
  hardenSession(e.session.defaultSession);
  e.Menu.setApplicationMenu(menuOrNull(e, options.platform));
  const trustedUrl = pathToFileURL(options.rendererHtml).href;
  const connection = options.connect();
  // Set once a restart to update began: Quit then keeps the served shells (agent-host.ts keepSessions).
  let handingOver = false;
  const updates =
    options.updater?.({
      running: () => runningWork(connection),
      handOver: async () => {
        handingOver = true;
        // The new version starts while this one exits: it must not find the lock held and quit.
        app.releaseSingleInstanceLock();
        await connection.stop({ keepSessions: true });
      },
    }) ?? null;
  const ipc = options.registerIpc(connection, trustedUrl, updates);

  const window = createMainWindow(e, {
    rendererHtml: options.rendererHtml,
    preload: options.preload,
    preferences: options.preferences,
    saved: options.preferences.window(),
    navigate: (place) => ipc.broadcast('app.navigate', placeNavigation(place)),
    log,
  });

  let quitting: Promise<void> | null = null;
  const quit = (): Promise<void> => {
    quitting ??= (async () => {
      window.allowClose();
      const stopTimeoutMs = options.stopTimeoutMs ?? AGENT_STOP_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, stopTimeoutMs)));
      await Promise.race([
        connection
          .stop(handingOver ? { keepSessions: true } : {})
          .catch((err: unknown) => log(`agent stop failed: ${errorMessage(err)}`)),
        timeout,
      ]);
      clearTimeout(timer);
      updates?.dispose();
      ipc.dispose();
      tray.destroy();
      // exit, not quit: 'before-quit' already ran its course, and a hung agent must not keep us here.
      app.exit(0);
    })();
    return quitting;
  };
  // What quit() meets on the way is logged there; should it throw anyway, the app still ends.
  const quitNow = (): void =>
    background(quit(), (err) => {
      log(`quitting failed: ${errorMessage(err)}`);
      app.exit(1);
    });
  // Cmd+Q, the app menu's Quit, logging out: all go through the same stop as the tray's Quit.
  app.on('before-quit', (event) => {
    event.preventDefault();
    quitNow();
  });

  const run = (action: TrayAction): void => {
    switch (action.do) {
      case 'open':
        return window.open(action.place);
      case 'copy':
        // Typed as a promise, synchronous in main (and in the tests' fake): either way a failure is said.
        Promise.resolve(e.clipboard.writeText(action.text)).catch((err: unknown) =>
          log(`copy: ${errorMessage(err)}`),
        );
        return;
      case 'switch-forward':
        connection
          .call(action.on ? 'forward.enable' : 'forward.disable', { name: action.name })
          .catch((err: unknown) => log(`forward ${action.name}: ${errorMessage(err)}`));
        return;
      case 'open-at-login':
        options.loginItem
          .set(action.on)
          .then(() => tray.setOpenAtLogin(action.on))
          .catch((err: unknown) => log(`start at login: ${errorMessage(err)}`));
        return;
      case 'start-agent':
        connection.start();
        return;
      case 'send-files': {
        const files = options.files;
        if (!files) return window.open({ view: 'files' });
        sendFilesFromTray(
          {
            pick: (kind) => files.pick(kind),
            send: (peer, paths) => connection.call('files.send', { peer, paths }),
            showFiles: () => window.open({ view: 'files' }),
            showError: (message) => {
              log(message);
              options.showError?.('Clawbridge', message);
            },
          },
          { fingerprint: action.peer, name: action.name },
        ).catch((err: unknown) => log(`send files: ${errorMessage(err)}`));
        return;
      }
      case 'open-logs':
        if (!options.logDir) return log('there is no log folder: the logs go to stderr');
        // openPath answers with an error message, '' when the folder opened.
        e.shell.openPath(options.logDir).then(
          (error) => {
            if (error) log(`could not open the log folder ${options.logDir}: ${error}`);
          },
          (err: unknown) => log(`could not open the log folder ${options.logDir}: ${errorMessage(err)}`),
        );
        return;
      case 'restart-to-update':
        if (!updates) return;
        // From the tray nothing is confirmed: with terminals or transfers running, Settings asks.
        void updates
          .restart(false)
          .then((verdict) => {
            if (!verdict.now) window.open({ view: 'settings' });
          })
          .catch((err: unknown) => log(`restart to update: ${errorMessage(err)}`));
        return;
      case 'quit':
        quitNow();
        return;
    }
  };

  const trayIcon = new e.Tray(options.trayIcon('offline'));
  // Windows users expect a click on the icon to open the app (the menu is on right-click); macOS and
  // Linux open the menu on click, so a handler there would pop the window up with every look at it.
  if (options.platform === 'win32') trayIcon.on('click', () => window.open());
  const tray = trayController({
    tray: trayIcon,
    Menu: e.Menu,
    icon: options.trayIcon,
    run,
    initial: { host: connection.hostState(), agent: null, openAtLogin: false },
    platform: options.platform,
  });
  options.loginItem
    .isOn()
    .then((on) => tray.setOpenAtLogin(on))
    .catch((err: unknown) => log(`start at login unreadable: ${errorMessage(err)}`));
  connection.onHostState((host) => tray.setHost(host));
  if (updates) {
    tray.setUpdate(updates.status().state);
    updates.onChange((status) => {
      tray.setUpdate(status.state);
      ipc.broadcast('app.update', status);
    });
    updates.start();
  }
  const notify = notificationCenter({
    Notification: e.Notification,
    connection,
    open: (place) => window.open(place),
    log,
    inSight: () => windowInSight(window.current()),
  });
  connection.onEvent(<E extends keyof ApiEvents>(event: E, data: ApiEvents[E]) => {
    if (event === 'status') tray.setAgent(data as ApiEvents['status']);
    notify(event, data);
  });

  openLink = (url) => {
    if (url === null) return window.open();
    try {
      window.open(deepLinkPlace(parseDeepLink(url)));
    } catch (err) {
      log(`ignored a link that is not a Clawbridge invite: ${errorMessage(err)}`);
      window.open(refusedLinkPlace(err));
    }
  };

  // The first window: on Join for a link this instance was started with, none when started at login.
  const startLink = deepLinkInArgv(options.argv);
  if (startLink) early.push(startLink);
  if (early.length > 0) for (const url of early.splice(0)) openLink(url);
  else if (!launchedAtLogin(options.platform, options.argv, app)) window.open();
  return { window, tray, quit };
}

function menuOrNull(e: ShellElectron, platform: NodeJS.Platform): electron.Menu | null {
  const template = appMenuTemplate(platform);
  return template ? e.Menu.buildFromTemplate(template) : null;
}
