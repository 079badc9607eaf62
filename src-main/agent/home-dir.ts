/**
 * Where a node keeps its identity, settings and control socket. By default this is the desktop app's
 * data directory (Electron's `app.getPath('userData')` for productName "Clawbridge"), so the CLI and the
 * app on one machine are the same node. `--home DIR` or CLAWBRIDGE_HOME overrides it.
 */
import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Must match `productName` in electron-builder.yml: Electron derives userData from it. */
export const PRODUCT_NAME = 'Clawbridge';

/** Electron's userData path for PRODUCT_NAME on each platform. */
export function defaultHome(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), PRODUCT_NAME);
}

/** The home in effect: explicit flag, then CLAWBRIDGE_HOME, then the app's data directory. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.CLAWBRIDGE_HOME;
  return chosen ? resolve(chosen) : defaultHome(process.platform, env);
}

/**
 * Unix socket paths are limited to ~104–108 bytes, so a deep home falls back to a per-home name in the
 * temp directory (the socket file itself is mode 0600, so only this user can connect).
 * Windows uses a named pipe derived from the home path.
 */
const MAX_UNIX_SOCKET_PATH = 100;

export function controlSocketPath(home: string, platform: NodeJS.Platform = process.platform): string {
  const id = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\clawbridge-${id}`;
  const inHome = join(home, 'agent.sock');
  return inHome.length <= MAX_UNIX_SOCKET_PATH ? inHome : join(tmpdir(), `clawbridge-${id}.sock`);
}
