/**
 * Where a node keeps its identity, settings and control socket. By default this is the desktop app's
 * data directory (Electron's `app.getPath('userData')` for productName "Clawbridge"), so the CLI and the
 * app on one machine are the same node. `--home DIR` or CLAWBRIDGE_HOME overrides it.
 *
 * The home and the directory holding the control socket are private to this user (mode 0700): whoever
 * can reach the socket drives the node, and whoever can read the home has its key.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ClawError } from '../core/errors.js';

/** Must match `productName` in electron-builder.yml: Electron derives userData from it. */
export const PRODUCT_NAME = 'Clawbridge';

/** Electron's userData path for PRODUCT_NAME on each platform. */
export function defaultHome(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  // The XDG spec (and Electron) ignore an empty or relative XDG_CONFIG_HOME: the node would otherwise
  // depend on the directory a command is run from.
  const config = env.XDG_CONFIG_HOME;
  return join(config && isAbsolute(config) ? config : join(homedir(), '.config'), PRODUCT_NAME);
}

/** The home in effect: explicit flag, then CLAWBRIDGE_HOME, then the app's data directory. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  // An empty --home (an unset variable in a script: `--home "$DIR"`) must not mean the default home,
  // the desktop app's, where a command would act on another node.
  if (flag !== undefined && flag.trim() === '') {
    throw new ClawError(
      'BAD_ARGUMENT',
      '--home is empty; give a directory, or leave --home out for the default home',
    );
  }
  // The variable set but blank (`CLAWBRIDGE_HOME=`, an unset shell variable) is refused the same way.
  if (flag === undefined && env.CLAWBRIDGE_HOME !== undefined && env.CLAWBRIDGE_HOME.trim() === '') {
    throw new ClawError(
      'BAD_ARGUMENT',
      'CLAWBRIDGE_HOME is set but empty; give it a directory, or unset it for the default home',
    );
  }
  const chosen = flag ?? env.CLAWBRIDGE_HOME;
  return chosen ? resolve(chosen) : defaultHome(process.platform, env);
}

/** This process's uid; -1 where there is none (Windows). */
export function currentUid(): number {
  return process.getuid?.() ?? -1;
}

/**
 * Creates the home with mode 0700 before anything is written into it (settings.ts and identity-store.ts
 * both call this first). An existing home must be a directory owned by this user; group/other access
 * is removed from it (homes made by older versions, or by Electron, could be 0755).
 * @throws ClawError('CONFIG_INVALID') when the home belongs to another user or is not a directory
 */
export function ensureHomeDir(home: string, uid: number = currentUid()): void {
  try {
    makeDirs(home);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EEXIST: a file is where the home (or a folder on its way) should be.
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new ClawError(
        'CONFIG_INVALID',
        `home ${home} is not a directory (a file is in the way): move the file, or pick another --home`,
      );
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT') {
      throw new ClawError(
        'CONFIG_INVALID',
        `cannot create the home ${home} (${code}): pick a home you can write to (--home)`,
      );
    }
    throw err;
  }
  if (process.platform === 'win32') return;
  // stat, not lstat: a home reached through a symbolic link (dotfiles) is fine; its target must be ours.
  const st = statSync(home);
  if (!st.isDirectory()) {
    throw new ClawError(
      'CONFIG_INVALID',
      `home ${home} is not a directory (a file is in the way): move the file, or pick another --home`,
    );
  }
  if (st.uid !== uid) {
    throw new ClawError(
      'CONFIG_INVALID',
      `refusing home ${home}: owned by uid ${st.uid}, not you; use a home of your own (--home)`,
    );
  }
  if ((st.mode & 0o077) !== 0) chmodSync(home, 0o700);
}

/**
 * mkdir -p with mode 0700, one level at a time: Node's recursive mkdirSync loops for good on a parent
 * that says ENOENT to mkdir although it exists (under /proc), ignoring SIGTERM.
 */
function makeDirs(dir: string): void {
  // A file where the directory should be: as mkdir says it (EEXIST), on every platform.
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) {
    throw Object.assign(new Error(`${dir} exists and is not a directory`), { code: 'EEXIST' });
  }
  const missing: string[] = [];
  let at = resolve(dir);
  while (statSync(at, { throwIfNoEntry: false }) === undefined) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // made meanwhile: fine
    }
  }
}

/**
 * Unix socket paths are limited to ~104–108 bytes: the socket is `agent.sock` in the home when that
 * fits, else a per-home name in a private directory (never directly in the shared temp directory,
 * where another user could bind the name first and receive the CLI's requests, pairing codes included).
 * Windows uses a named pipe derived from the home path.
 */
const MAX_UNIX_SOCKET_PATH = 100;
const HOME_SOCKET = 'agent.sock';

/** What the socket's place depends on: injected so the choice is testable without a file system. */
export interface SocketPlace {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The current uid (names the temp-directory fallback). */
  uid: number;
  tmpdir: string;
  /** Whether `dir` is private to us (see privateDirProblem); asked only about XDG_RUNTIME_DIR. */
  isPrivateDir(dir: string): boolean;
}

/**
 * The control socket for `home`, in order: `HOME/agent.sock`; `$XDG_RUNTIME_DIR/clawbridge-ID.sock`
 * when XDG_RUNTIME_DIR is set and private to us; `TMP/clawbridge-UID/clawbridge-ID.sock`, whose
 * directory the agent creates with mode 0700 (ensurePrivateDir). Pure: all inputs are in `place`.
 */
export function chooseControlSocketPath(home: string, place: SocketPlace): string {
  const id = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
  if (place.platform === 'win32') return `\\\\.\\pipe\\clawbridge-${id}`;
  // The limit is in bytes: a home in Cyrillic or Japanese takes two or three per character, and a
  // longer path would be bound cut short (Node truncates it) where no client finds it.
  const fits = (path: string) => Buffer.byteLength(path) <= MAX_UNIX_SOCKET_PATH;
  const inHome = join(home, HOME_SOCKET);
  if (fits(inHome)) return inHome;
  const name = `clawbridge-${id}.sock`;
  const runtime = place.env.XDG_RUNTIME_DIR;
  if (runtime && isAbsolute(runtime)) {
    const inRuntime = join(runtime, name);
    if (fits(inRuntime) && place.isPrivateDir(runtime)) return inRuntime;
  }
  const inTemp = join(place.tmpdir, `clawbridge-${place.uid}`, name);
  if (fits(inTemp)) return inTemp;
  throw new ClawError(
    'CONFIG_INVALID',
    `no place for the control socket: ${inHome} is over the ${MAX_UNIX_SOCKET_PATH} bytes a socket's path may have, and so is ${inTemp}; use a shorter --home, or set TMPDIR to a shorter directory`,
  );
}

export function controlSocketPath(home: string, platform: NodeJS.Platform = process.platform): string {
  const uid = currentUid();
  // Symlinks resolved: a home reached by two paths must have one socket (one agent), also when its
  // socket lives outside it under a hash of the path.
  let real: string;
  try {
    real = realpathSync(home);
  } catch {
    real = home; // not made yet
  }
  return chooseControlSocketPath(real, {
    platform,
    env: process.env,
    uid,
    tmpdir: tmpdir(),
    isPrivateDir: (dir) => {
      try {
        return privateDirProblem(lstatSync(dir), uid) === undefined;
      } catch {
        return false;
      }
    },
  });
}

/**
 * The directory that must be private for `socketPath` to be safe, or undefined when the socket is in
 * the home (checked by ensureHomeDir) or a named pipe. Pure.
 */
export function socketPrivateDir(
  socketPath: string,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (platform === 'win32' || basename(socketPath) === HOME_SOCKET) return undefined;
  return dirname(socketPath);
}

/** The part of fs.Stats the checks read (so tests can hand in fakes). */
export interface OwnerStats {
  uid: number;
  mode: number;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isSocket(): boolean;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** Why a directory (from lstat) is not private to `uid`, or undefined when it is. Pure. */
export function privateDirProblem(st: OwnerStats, uid: number): string | undefined {
  if (st.isSymbolicLink()) return 'a symbolic link, not a directory';
  if (!st.isDirectory()) return 'not a directory';
  if (st.uid !== uid) return `owned by uid ${st.uid}, not you`;
  if ((st.mode & 0o077) !== 0) return `mode ${octal(st.mode)} lets other users in (want 0700)`;
  return undefined;
}

/** Why a control socket (from lstat) is not one of ours, or undefined when it is. Pure. */
export function socketOwnerProblem(st: OwnerStats, uid: number): string | undefined {
  if (!st.isSocket()) return 'not a socket';
  if (st.uid !== uid)
    return `owned by uid ${st.uid}, not you: someone else is listening in the agent's place`;
  return undefined;
}

/** Injected by tests; the real file system otherwise. */
export interface OwnerCheckFs {
  uid: number;
  lstat(path: string): OwnerStats;
}
const realFs = (): OwnerCheckFs => ({ uid: currentUid(), lstat: (p) => lstatSync(p) });

/**
 * @throws ClawError('CONFIG_INVALID') `refusing DIR: owned by uid N, not you; remove it` (and the like)
 * unless `dir` is a real directory (not a link) owned by us with no group/other permissions;
 * fs errors (ENOENT…) as they are.
 */
export function checkPrivateDir(dir: string, fs: OwnerCheckFs = realFs()): void {
  const problem = privateDirProblem(fs.lstat(dir), fs.uid);
  if (problem) throw new ClawError('CONFIG_INVALID', `refusing ${dir}: ${problem}; remove it`);
}

/**
 * @throws ClawError('CONFIG_INVALID') unless `path` is a socket owned by us; fs errors (ENOENT…) as they are.
 */
export function checkSocketOwner(path: string, fs: OwnerCheckFs = realFs()): void {
  const problem = socketOwnerProblem(fs.lstat(path), fs.uid);
  if (problem)
    throw new ClawError('CONFIG_INVALID', `refusing control socket ${path}: ${problem}; remove it`);
}

/** Creates `dir` with mode 0700 if missing (its parent must exist), then checkPrivateDir. */
export function ensurePrivateDir(dir: string, fs: OwnerCheckFs = realFs()): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  checkPrivateDir(dir, fs);
}
