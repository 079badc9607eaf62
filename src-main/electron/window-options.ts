/**
 * Options of the one app window. Pure, so a test can read every security switch (architecture.md §The desktop app and the window:
 * this app opens remote shells, so the renderer gets no Node and no raw IPC).
 */
import type { BrowserWindowConstructorOptions } from 'electron';
import { MIN_WINDOW_HEIGHT, MIN_WINDOW_WIDTH } from './window-state.js';

/** Initial window size in CSS pixels: room for the peer list without feeling like a full app. */
const WINDOW_WIDTH = 960;
/** Initial window height in CSS pixels. */
const WINDOW_HEIGHT = 640;

/** File name of the compiled preload next to main.js (CommonJS: sandboxed preloads cannot be ESM). */
export const PRELOAD_FILE = 'preload.cjs';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: WINDOW_WIDTH,
    height: WINDOW_HEIGHT,
    // The views lay out down to this size; window-state.ts restores nothing smaller either.
    minWidth: MIN_WINDOW_WIDTH,
    minHeight: MIN_WINDOW_HEIGHT,
    title: 'Clawbridge',
    // Shown on 'ready-to-show' so the user never sees an empty white frame.
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}
