/**
 * Electron entry point (package.json "main"): wires the real `electron` module, the agent's host
 * (agent-host.ts: the agent in a utility process) and the window's IPC transport (api-ipc.ts) into the
 * shell. Everything testable lives in shell.ts and the modules it composes; this file only knows paths.
 *
 * Packaging hardens the binary with Electron fuses (electron-builder.yml `electronFuses`): no
 * ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no --inspect, cookies encrypted, and the app loads only
 * from an integrity-checked app.asar. `npm start` runs unpackaged Electron, where fuses are off.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ElectronStore from 'electron-store';
import electronUpdater from 'electron-updater';
import {
  app,
  BrowserWindow,
  clipboard,
  dialog,
  ipcMain,
  Menu,
  MessageChannelMain,
  nativeImage,
  Notification,
  safeStorage,
  screen,
  session,
  shell,
  Tray,
  utilityProcess,
} from 'electron';
import { errorMessage } from '../core/errors.js';
import { AGENT_PROCESS_FILE, startAgentHost } from './agent-host.js';
import { connectAgentClient } from './agent-client.js';
import { startDesktopAgent, type DesktopAgent } from './agent-host-choice.js';
import { systemRunner } from '../cli/service-runner.js';
import {
  cliOnPath,
  desktopServiceStatus,
  installDesktopService,
  uninstallDesktopService,
} from './service-desktop.js';
import { registerServiceIpc } from './service-ipc.js';
import { controlSocketPath } from '../home/home-dir.js';
import { readServiceRecord } from '../cli/service-record.js';
import { registerApiIpc } from './api-ipc.js';
import { pickOptions, registerFilesIpc, type FilesDesktop } from './files-ipc.js';
import { loadDesktopIdentity } from './key-at-rest.js';
import { MAIN_LOG_FILE, openLogFile, type LogFile } from './log-file.js';
import { autostartDir, autostartExec, loginItemFor } from './login-item.js';
import { adoptLegacyWindowState, desktopPreferences } from './preferences.js';
import { startShell } from './shell.js';
import { trayIconFile, type TrayIconState } from './tray-icons.js';
import { PRELOAD_FILE } from './window-options.js';
import { SESSION_HOST_PROCESS_FILE } from './session-host-launcher.js';
import { updateController } from './update-controller.js';
import { updaterEngine } from './update-engine.js';
import { readFleetPolicy } from './update-fleet.js';
import { UPDATE_SIGNING_KEYS } from './update-signing-keys.js';
import { updateSupport } from './update-support.js';
import { registerUpdatesIpc } from './updates-ipc.js';

// The app folder (or app.asar) holding package.json, dist/ and assets/, in development and packaged.
const root = app.getAppPath();
const platform = process.platform;

// Logs: `~/Library/Logs/Clawbridge` on macOS, `logs` in the app's data folder on Windows and Linux.
// Main's lines go to main.log as well as stderr (which nothing reads in a packaged app); the agent
// writes agent.log there itself (docs/desktop-app.md §Logs).
const logDir = app.getPath('logs');
let mainLog: LogFile | undefined;
try {
  mainLog = openLogFile(logDir, MAIN_LOG_FILE);
} catch (err) {
  console.error(`Clawbridge cannot write ${MAIN_LOG_FILE} in ${logDir}: ${errorMessage(err)}`);
}
const log = (line: string) => {
  console.error(line);
  mainLog?.line(line);
};

// The app's own preferences (the window's bounds) in userData/preferences.json, apart from the
// agent's config.json (preferences.ts says what lives where).
const preferences = desktopPreferences(new ElectronStore({ name: 'preferences' }), log);
adoptLegacyWindowState(preferences, app.getPath('userData'));

const trayImage = (state: TrayIconState) => {
  const image = nativeImage.createFromPath(join(root, 'assets', trayIconFile(state, platform)));
  // macOS tints a template image for light and dark menu bars (tray-icons.ts).
  if (platform === 'darwin') image.setTemplateImage(true);
  return image;
};

/** The native picker (parented to the focused window), Downloads and the file manager (files-ipc.ts). */
const filesDesktop: FilesDesktop = {
  async pick(kind) {
    const parent = BrowserWindow.getFocusedWindow();
    const chosen = parent
      ? await dialog.showOpenDialog(parent, pickOptions(kind))
      : await dialog.showOpenDialog(pickOptions(kind));
    return chosen.canceled ? null : chosen.filePaths;
  },
  downloadsDir: () => app.getPath('downloads'),
  openPath: (path) => shell.openPath(path),
};

/** A file of resources/ as text, or null when the build has none. */
const resource = (name: string): string | null => {
  try {
    return readFileSync(join(process.resourcesPath, name), 'utf8');
  } catch {
    return null;
  }
};
const fleet = readFleetPolicy(platform, process.env, log);

const home = app.getPath('userData');
const serviceDeps = {
  home,
  cli: () => cliOnPath(process.env, platform),
  run: systemRunner,
};
// Set once the shell connects: Settings' service switch goes through it (service-desktop.ts).
let desktopAgent: DesktopAgent | undefined;

startShell(
  { app, BrowserWindow, Tray, Menu, Notification, clipboard, screen, session, shell },
  {
    connect: () => {
      // An agent already serving the home (a service, or `clawbridge agent`) is attached to, not
      // started again (agent-attach.ts); Quit and updates then leave it running.
      desktopAgent = startDesktopAgent({
        connect: () => connectAgentClient(controlSocketPath(home), home),
        serviceInstalled: () => readServiceRecord(home) !== undefined,
        log,
        startOwn: () =>
          startAgentHost(
            { utilityProcess },
            {
              home,
              entry: join(import.meta.dirname, AGENT_PROCESS_FILE),
              identity: async () => {
                const { certPem, keyPem } = await loadDesktopIdentity(home, safeStorage, {
                  warn: (line) => log(`clawbridge: ${line}`),
                });
                return { certPem, keyPem };
              },
              logDir,
              // Served terminals outlive a crash of the agent's process (docs/adr/0022-session-host.md).
              sessionHost: {
                entry: join(import.meta.dirname, SESSION_HOST_PROCESS_FILE),
                logPath: join(logDir, 'session-host.log'),
              },
              log,
            },
          ),
      });
      return desktopAgent;
    },
    registerIpc: (connection, trustedUrl, updates) => {
      const api = registerApiIpc({ ipcMain, MessageChannelMain }, connection, trustedUrl);
      const offFiles = registerFilesIpc(ipcMain, trustedUrl, filesDesktop, log);
      const offUpdates = updates ? registerUpdatesIpc(ipcMain, trustedUrl, updates, log) : () => {};
      const offService = registerServiceIpc(
        ipcMain,
        trustedUrl,
        {
          status: () => desktopServiceStatus(serviceDeps),
          async set(on) {
            const step = on ? installDesktopService : uninstallDesktopService;
            await desktopAgent?.switchHome(() => step(serviceDeps));
            return desktopServiceStatus(serviceDeps);
          },
        },
        log,
      );
      return {
        broadcast: (event, data) => api.broadcast(event, data),
        dispose() {
          offService();
          offUpdates();
          offFiles();
          api.dispose();
        },
      };
    },
    // docs/adr/0077-desktop-updates.md: electron-updater's own updater for this platform, created only
    // when updates are on (autoUpdater is made on first use).
    updater: ({ running, handOver }) =>
      updateController({
        current: app.getVersion(),
        support: updateSupport({
          platform,
          packaged: app.isPackaged,
          appImage: process.env.APPIMAGE,
          packageType: resource('package-type'),
          updateConfig: resource('app-update.yml'),
          feedUrl: fleet?.feedUrl ?? null,
        }),
        prefs: preferences,
        fleet,
        engine: (choice) =>
          updaterEngine(
            electronUpdater.autoUpdater,
            choice.channel,
            fleet?.feedUrl ?? null,
            log,
            UPDATE_SIGNING_KEYS,
          ),
        running,
        handOver,
        log,
      }),
    files: filesDesktop,
    showError: (title, message) => dialog.showErrorBox(title, message),
    rendererHtml: join(root, 'dist', 'renderer', 'index.html'),
    preload: join(import.meta.dirname, PRELOAD_FILE),
    trayIcon: trayImage,
    preferences,
    loginItem: loginItemFor(platform, app, {
      dir: autostartDir(process.env),
      exec: autostartExec(process.env, process.execPath),
    }),
    argv: process.argv,
    platform,
    logDir,
    log,
    // Unpackaged (`electron .`), the OS must start Electron with the app's folder to open a link.
    ...(process.defaultApp && process.argv[1]
      ? { protocolClient: { path: process.execPath, args: [resolve(process.argv[1])] } }
      : {}),
  },
).catch((err: unknown) => {
  log(`Clawbridge failed to start: ${errorMessage(err)}`);
  app.exit(1);
});
