/**
 * "Start at login" (architecture.md §The desktop app and the window). macOS and Windows keep the
 * setting themselves (`app.setLoginItemSettings`); Linux desktops start what has a `.desktop` entry
 * in `$XDG_CONFIG_HOME/autostart` (the XDG Autostart specification), so there the setting is that file.
 * Started at login, the app passes HIDDEN_FLAG and stays in the tray instead of opening its window.
 */
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'electron';
import { writeFileAtomic } from './atomic-file.js';

/** Command-line flag of a launch at login: no window, just the tray. */
export const HIDDEN_FLAG = '--hidden';
/** The autostart entry's file name. */
export const AUTOSTART_FILE = 'clawbridge.desktop';

export interface LoginItem {
  isOn(): Promise<boolean>;
  set(on: boolean): Promise<void>;
}

/** Where and what to start on Linux: the AppImage when running from one (its path survives updates). */
export interface XdgTarget {
  /** The autostart directory. */
  dir: string;
  /** The program to start. */
  exec: string;
}

/**
 * Whether this launch is the one at login (then the app stays in the tray): Windows and Linux pass
 * HIDDEN_FLAG; macOS starts login items without arguments but says whether this launch was one.
 */
export function launchedAtLogin(
  platform: NodeJS.Platform,
  argv: readonly string[],
  app: Pick<App, 'getLoginItemSettings'>,
): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}

/** `$XDG_CONFIG_HOME/autostart`, `~/.config/autostart` when unset or not absolute (as the spec says). */
export function autostartDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  const config = env.XDG_CONFIG_HOME;
  return join(config?.startsWith('/') ? config : join(home, '.config'), 'autostart');
}

/** The program a Linux autostart entry runs: `$APPIMAGE` when set, else the executable. */
export function autostartExec(env: NodeJS.ProcessEnv, execPath: string): string {
  return env.APPIMAGE && env.APPIMAGE.startsWith('/') ? env.APPIMAGE : execPath;
}

export function loginItemFor(
  platform: NodeJS.Platform,
  app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>,
  xdg: XdgTarget,
): LoginItem {
  if (platform === 'darwin' || platform === 'win32') {
    return {
      isOn: () => Promise.resolve(app.getLoginItemSettings({ args: [HIDDEN_FLAG] }).openAtLogin),
      set(on) {
        app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_FLAG] });
        return Promise.resolve();
      },
    };
  }
  return xdgLoginItem(xdg);
}

/**
 * Linux and other XDG desktops: the setting is our autostart entry — present and not switched off by
 * the desktop (autostartEntryIsOn). Switching on writes a fresh entry over one switched off elsewhere.
 */
export function xdgLoginItem({ dir, exec }: XdgTarget): LoginItem {
  const file = join(dir, AUTOSTART_FILE);
  return {
    async isOn() {
      try {
        return autostartEntryIsOn(await readFile(file, 'utf8'));
      } catch {
        return false;
      }
    },
    async set(on) {
      if (on) await writeFileAtomic(file, desktopEntry(exec));
      else await rm(file, { force: true });
    },
  };
}

/**
 * Whether an autostart entry starts anything: it needs an Exec line, and the XDG Autostart
 * specification reads `Hidden=true` as "this entry is deleted", while GNOME (and desktops that follow
 * it) reads `X-GNOME-Autostart-enabled=false` as switched off in its own settings. Only keys of the
 * `[Desktop Entry]` group count; spaces around `=` are allowed, as the Desktop Entry spec says.
 */
export function autostartEntryIsOn(text: string): boolean {
  const keys = new Map<string, string>();
  let group: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      group = line;
      continue;
    }
    const eq = line.indexOf('=');
    if (group !== '[Desktop Entry]' || eq < 0) continue;
    keys.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return (
    (keys.get('Exec') ?? '') !== '' &&
    keys.get('Hidden') !== 'true' &&
    keys.get('X-GNOME-Autostart-enabled') !== 'false'
  );
}

/** The autostart entry (Desktop Entry Specification 1.5). */
export function desktopEntry(exec: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Clawbridge',
    'Comment=Reach your own machines',
    `Exec=${execArgument(exec)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * One argument of an Exec line: quoted, with `"`, `` ` ``, `$` and `\` backslash-escaped inside the
 * quotes, `%` doubled (field codes), and then every backslash doubled again because an Exec value is
 * itself a string value with escapes. Line breaks cannot be expressed, so a path with one is refused.
 */
export function execArgument(arg: string): string {
  if (/[\n\r]/.test(arg))
    throw new Error(`cannot start a program whose path has a line break: ${JSON.stringify(arg)}`);
  const quoted = `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
  return quoted.replace(/\\/g, '\\\\');
}
