/**
 * Electron entry point (package.json "main"): wires the real `electron` module and the agent into the
 * shell. Everything testable lives in shell.ts; this file only knows paths.
 *
 * Packaging hardens the binary with Electron fuses (electron-builder.yml `electronFuses`): no
 * ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no --inspect, cookies encrypted, and the app loads only
 * from an integrity-checked app.asar. `npm start` runs unpackaged Electron, where fuses are off.
 */
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, nativeImage, session, Tray } from 'electron';
import { errorMessage } from '../core/errors.js';
import { tuneGcForBulkTransfer } from '../core/gc-tuning.js';
import { startShell } from './shell.js';
import { PRELOAD_FILE } from './window-options.js';

// The agent runs in this process and relays bulk data, as the CLI's agent does (ADR 0007).
tuneGcForBulkTransfer();

// The app folder (or app.asar) holding package.json, dist/ and assets/, in development and packaged.
const root = app.getAppPath();

startShell(
  { app, BrowserWindow, ipcMain, Menu, nativeImage, session, Tray },
  {
    // Loaded lazily so the tray appears before the agent's modules are parsed.
    createAgent: async (home) => (await import('../agent/index.js')).createAgent(home),
    rendererHtml: join(root, 'dist', 'renderer', 'index.html'),
    preload: join(import.meta.dirname, PRELOAD_FILE),
    // macOS treats a "…Template" image as a monochrome menu-bar icon; nativeImage picks @2x on HiDPI.
    trayIcon: join(root, 'assets', 'trayTemplate.png'),
  },
).catch((err: unknown) => {
  console.error(`Clawbridge failed to start: ${errorMessage(err)}`);
  app.exit(1);
});
