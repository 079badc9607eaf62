/**
 * The desktop shell's lifecycle (architecture.md §The desktop app and the window): one instance, no dock icon, lives in the tray, runs the
 * agent in-process and keeps running when the window closes. Electron comes in as a parameter so tests
 * can pass fakes; main.ts passes the real module.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type * as electron from 'electron';
import { ClawError, errorMessage } from '../core/errors.js';
import type { AgentPort, CreateAgent } from './agent-port.js';
import { IPC_CHANNELS } from './bridge-api.js';
import { handleValidated } from './ipc-validate.js';
import { hardenSession, hardenWebContents } from './security.js';
import { buildTrayMenu, statusLine, trayMenuModel, type TrayAction, type TrayState } from './tray-menu.js';
import { mainWindowOptions } from './window-options.js';

/** The parts of the `electron` module the shell uses. */
export type ShellElectron = Pick<
  typeof electron,
  'app' | 'BrowserWindow' | 'Tray' | 'Menu' | 'ipcMain' | 'nativeImage' | 'session'
>;

export interface ShellOptions {
  createAgent: CreateAgent;
  /** Absolute paths: the renderer page, the compiled preload and the tray icon. */
  rendererHtml: string;
  preload: string;
  trayIcon: string;
  log?: (line: string) => void;
}

export interface Shell {
  openWindow(): void;
  /** What the tray currently shows. */
  state(): TrayState;
}

/** How long quitting waits for the agent to close its links, in milliseconds, before exiting anyway. */
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

  const trustedUrl = pathToFileURL(options.rendererHtml).href;
  let state: TrayState = { kind: 'starting' };
  let agent: AgentPort | null = null;
  let window: electron.BrowserWindow | null = null;
  let tray: electron.Tray | null = null;

  const openWindow = (): void => {
    if (window && !window.isDestroyed()) {
      window.show();
      window.focus();
      return;
    }
    const win = new e.BrowserWindow(mainWindowOptions(options.preload));
    window = win;
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      if (window === win) window = null;
    });
    win
      .loadFile(options.rendererHtml)
      .catch((err: unknown) => log(`window load failed: ${errorMessage(err)}`));
  };
  const run = (action: TrayAction): void => (action === 'quit' ? app.quit() : openWindow());

  const render = async (): Promise<void> => {
    if (agent) {
      try {
        state = { kind: 'running', status: await agent.status() };
      } catch (err) {
        state = { kind: 'error', message: errorMessage(err) };
      }
    }
    tray?.setContextMenu(buildTrayMenu(e.Menu, trayMenuModel(state), run));
    tray?.setToolTip(`Clawbridge — ${statusLine(state)}`);
    if (window && !window.isDestroyed()) window.webContents.send(IPC_CHANNELS.changed);
  };
  // Change bursts coalesce: at most one render runs and one waits, so the newest snapshot always lands last.
  let queue: Promise<void> = Promise.resolve();
  let waiting = false;
  const refresh = (): Promise<void> => {
    if (waiting) return queue;
    waiting = true;
    queue = queue
      .then(() => {
        waiting = false;
        return render();
      })
      .catch((err: unknown) => log(`tray refresh failed: ${errorMessage(err)}`));
    return queue;
  };

  app.on('second-instance', openWindow);
  // Closing the window leaves the app in the tray; only "Quit" ends it.
  app.on('window-all-closed', () => {});
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopping || !agent) return;
    stopping = true;
    event.preventDefault();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, AGENT_STOP_TIMEOUT_MS).unref());
    Promise.race([agent.stop(), timeout])
      .catch((err: unknown) => log(`agent stop failed: ${errorMessage(err)}`))
      .finally(() => app.quit());
  });

  await app.whenReady();
  hardenSession(e.session.defaultSession);
  handleValidated(e.ipcMain, IPC_CHANNELS.status, z.tuple([]), trustedUrl, () =>
    agent
      ? agent.status()
      : Promise.reject(new ClawError('NO_AGENT', 'the agent is not running; see the tray menu for why')),
  );
  tray = new e.Tray(e.nativeImage.createFromPath(options.trayIcon));
  await refresh();

  try {
    const started = await options.createAgent(app.getPath('userData'));
    await started.start();
    agent = started;
    started.onChange(() => void refresh());
  } catch (err) {
    state = { kind: 'error', message: errorMessage(err) };
    log(`agent failed to start: ${errorMessage(err)}`);
  }
  await refresh();
  return { openWindow, state: () => state };
}
