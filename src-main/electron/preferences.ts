/**
 * The desktop app's own preferences, apart from the agent's settings (config.json, which the CLI and
 * the web UI share): today the window's bounds. Kept by electron-store in userData/preferences.json;
 * main.ts hands the store in, so everything here runs under plain Node with `conf` (which
 * electron-store extends, same file format) standing in. The login item is not kept here: the OS
 * holds it (login items, the XDG autostart entry) and login-item.ts asks the OS, so the two can never
 * disagree. Desktop notifications stay an agent setting (`settings.set`), since the window changes it
 * through the API contract like every other setting. docs/adr/0043-desktop-preferences.md says why.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import {
  LEGACY_WINDOW_STATE_FILE,
  parseWindowState,
  savedWindowState,
  type WindowState,
} from './window-state.js';
import {
  DEFAULT_UPDATE_CHOICE,
  lastCheck,
  updateChoice,
  type LastCheck,
  type UpdateChoice,
} from './update-policy.js';

/** The part of electron-store (or conf) the preferences use. */
export interface PreferenceStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface DesktopPreferences {
  /** The window's bounds at the last run; null when none were saved or what was saved is not valid. */
  window(): WindowState | null;
  /** Saves the window's bounds; a failure is logged, never thrown (a preference, not a setting). */
  setWindow(state: WindowState): void;
  /** The updater's choice; the default (automatic, stable) when none was saved or it is not valid. */
  updates(): UpdateChoice;
  setUpdates(choice: UpdateChoice): void;
  /** When the updater last asked its feed and what came of it; null before the first check. */
  lastUpdateCheck(): LastCheck | null;
  setLastUpdateCheck(last: LastCheck): void;
}

const WINDOW_KEY = 'window';
const UPDATES_KEY = 'updates';
const LAST_CHECK_KEY = 'lastUpdateCheck';

export function desktopPreferences(store: PreferenceStore, log: (line: string) => void): DesktopPreferences {
  // `value` is made inside the try: a value that does not pass its schema is logged, never thrown.
  const save = (key: string, value: () => unknown, what: string) => {
    try {
      store.set(key, value());
    } catch (err) {
      log(`${what} not saved: ${errorMessage(err)}`);
    }
  };
  return {
    window: () => parseWindowState(store.get(WINDOW_KEY)),
    setWindow: (state) => save(WINDOW_KEY, () => savedWindowState(state), 'window position'),
    updates: () => {
      const parsed = updateChoice.safeParse(store.get(UPDATES_KEY));
      return parsed.success ? parsed.data : { ...DEFAULT_UPDATE_CHOICE };
    },
    setUpdates: (choice) => save(UPDATES_KEY, () => updateChoice.parse(choice), 'update choice'),
    lastUpdateCheck: () => {
      const parsed = lastCheck.safeParse(store.get(LAST_CHECK_KEY));
      return parsed.success ? parsed.data : null;
    },
    setLastUpdateCheck: (last) => save(LAST_CHECK_KEY, () => lastCheck.parse(last), 'last update check'),
  };
}

/**
 * Takes the window's bounds from the file releases before the preferences store wrote
 * (`userData/window-state.json`) when the store has none, and removes that file, so an upgrade opens
 * the window where it was.
 */
export function adoptLegacyWindowState(prefs: DesktopPreferences, userData: string): void {
  const legacy = join(userData, LEGACY_WINDOW_STATE_FILE);
  let text: string;
  try {
    text = readFileSync(legacy, 'utf8');
  } catch {
    return; // none: nothing to adopt
  }
  if (prefs.window() === null) {
    try {
      const state = parseWindowState(JSON.parse(text));
      if (state) prefs.setWindow(state);
    } catch {
      // not JSON: as good as none
    }
  }
  rmSync(legacy, { force: true });
}
