/**
 * Which terminal type a session's program is told (TERM). A CLI viewer passes its own terminal's type,
 * as ssh does: the bytes go to that terminal unchanged, so the program must speak its language (the
 * Linux console's keys, a `dumb` terminal's lack of cursor moves). The type is used only when this
 * host has a terminfo entry for it — a program told a type it cannot look up refuses to run or draws
 * nothing (`xterm-kitty` on a server without kitty's terminfo is the classic case); otherwise, and for
 * the window's xterm.js, the session gets TERMINAL_TYPE.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** What the remote terminal says it is when the viewer names none: xterm.js and most terminals understand it. */
export const TERMINAL_TYPE = 'xterm-256color';

/** Where ncurses looks for terminfo entries, after $TERMINFO, ~/.terminfo and $TERMINFO_DIRS. */
const SYSTEM_TERMINFO_DIRS = [
  '/etc/terminfo',
  '/lib/terminfo',
  '/usr/share/terminfo',
  '/usr/lib/terminfo',
  '/usr/local/share/terminfo',
  '/opt/homebrew/share/terminfo',
];

/** The directories a terminfo lookup searches here, in ncurses' order. */
export function terminfoDirs(env: NodeJS.ProcessEnv = process.env, home = homedir()): string[] {
  const dirs: string[] = [];
  if (env.TERMINFO) dirs.push(env.TERMINFO);
  dirs.push(join(home, '.terminfo'));
  // An empty element of TERMINFO_DIRS means the compiled-in default, which the list below covers.
  for (const d of env.TERMINFO_DIRS?.split(':') ?? []) if (d) dirs.push(d);
  return [...dirs, ...SYSTEM_TERMINFO_DIRS];
}

/**
 * True when `name` has a terminfo entry in one of `dirs`: `DIR/c/NAME` (Linux) or `DIR/XX/NAME` with
 * XX the first character in hex (macOS).
 */
export function hasTerminfo(name: string, dirs: readonly string[], exists = existsSync): boolean {
  const first = name[0];
  if (!first) return false;
  const hex = first.charCodeAt(0).toString(16);
  return dirs.some((dir) => exists(join(dir, first, name)) || exists(join(dir, hex, name)));
}

/**
 * The TERM for a new session: `requested` (already checked against TERMINAL_TYPE_NAME by the protocol)
 * when this host can look it up, else TERMINAL_TYPE. On Windows, where programs do not read terminfo,
 * always TERMINAL_TYPE.
 */
export function sessionTerminalType(
  requested: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  exists = existsSync,
): string {
  if (!requested || requested === TERMINAL_TYPE || platform === 'win32') return TERMINAL_TYPE;
  return hasTerminfo(requested, terminfoDirs(env), exists) ? requested : TERMINAL_TYPE;
}
