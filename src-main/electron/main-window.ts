/**
 * The one app window (architecture.md §The desktop app and the window): opened on the place a tray
 * item, notification or deep link asked for, hidden rather than closed (the app lives in the tray;
 * only Quit ends it), and reopened where the user left it (window-state.ts).
 */
import type * as electron from 'electron';
import { errorMessage } from '../core/errors.js';
import type { DesktopPreferences } from './preferences.js';
import { fitOnScreen, type WindowState } from './window-state.js';
import { mainWindowOptions } from './window-options.js';
import { placeLink, type WindowPlace } from './window-place.js';

/** How long the window must stay still before its bounds are saved, in ms: a drag is one write. */
export const SAVE_BOUNDS_DELAY_MS = 500;

/** The parts of the `electron` module the window uses. */
export type WindowElectron = Pick<typeof electron, 'BrowserWindow' | 'screen'>;

export interface MainWindowOptions {
  rendererHtml: string;
  preload: string;
  /** Where the bounds are saved (the app's preferences), and what was saved at the last run (null: none). */
  preferences: Pick<DesktopPreferences, 'setWindow'>;
  saved: WindowState | null;
  /** Tells an open page to show `place` (the `app.navigate` event). */
  navigate: (place: WindowPlace) => void;
  log: (line: string) => void;
}

export interface MainWindow {
  /** Shows the window (creating it if needed), on `place` when given. */
  open(place?: WindowPlace): void;
  /** From now on closing really closes (the app is quitting). */
  allowClose(): void;
  /** The window, while one exists (tests and the security hooks read it). */
  current(): electron.BrowserWindow | null;
}

export function createMainWindow(e: WindowElectron, options: MainWindowOptions): MainWindow {
  let window: electron.BrowserWindow | null = null;
  let saved = options.saved;
  let closing = false;
  let saveTimer: NodeJS.Timeout | undefined;

  const save = (win: electron.BrowserWindow) => {
    clearTimeout(saveTimer);
    saveTimer = undefined;
    if (win.isDestroyed()) return;
    // Normal bounds: a maximized window comes back maximized over the size it had before.
    const bounds = win.getNormalBounds();
    saved = { ...bounds, maximized: win.isMaximized() };
    options.preferences.setWindow(saved);
  };
  const saveSoon = (win: electron.BrowserWindow) => {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => save(win), SAVE_BOUNDS_DELAY_MS);
    saveTimer.unref();
  };

  const create = (place: WindowPlace | undefined): electron.BrowserWindow => {
    const areas = e.screen.getAllDisplays().map((d) => d.workArea);
    const bounds = saved ? fitOnScreen(saved, areas) : {};
    const win = new e.BrowserWindow({ ...mainWindowOptions(options.preload), ...bounds });
    win.once('ready-to-show', () => {
      if (saved?.maximized) win.maximize();
      win.show();
    });
    win.on('resize', () => saveSoon(win));
    win.on('move', () => saveSoon(win));
    win.on('close', (event) => {
      save(win);
      if (closing) return;
      event.preventDefault();
      win.hide();
    });
    win.on('closed', () => {
      if (window === win) window = null;
    });
    win.webContents.on('did-finish-load', () => (pageLoaded = true));
    load(win, place);
    return win;
  };
  /** A page that is still loading has not subscribed to events yet, so an `app.navigate` would be lost. */
  let pageLoaded = false;
  const load = (win: electron.BrowserWindow, place: WindowPlace | undefined) => {
    pageLoaded = false;
    // A new page reads its place from the fragment (src-renderer/lib/fragment.ts), so it opens there.
    const hash = place ? placeLink(place) : undefined;
    win
      .loadFile(options.rendererHtml, hash ? { hash } : {})
      .catch((err: unknown) => options.log(`window load failed: ${errorMessage(err)}`));
  };

  return {
    open(place) {
      if (window && !window.isDestroyed()) {
        if (window.isMinimized()) window.restore();
        window.show();
        window.focus();
        if (place && pageLoaded) options.navigate(place);
        else if (place) load(window, place);
        return;
      }
      window = create(place);
    },
    allowClose() {
      closing = true;
    },
    current: () => (window && !window.isDestroyed() ? window : null),
  };
}
