/**
 * Settings → "Keep running after Quit (install as a service)": the same install as
 * `clawbridge service install agent --home <the app's data folder>`, run by the `clawbridge` command
 * installed on this machine (the packaged app cannot run its bundled CLI: its fuses turn Electron's
 * Node mode off). The app's own agent steps aside first, so the service's agent can take the home, and
 * the app then attaches to it (agent-host-choice.ts); turning it off uninstalls the service, and the app
 * starts its own agent again.
 *
 * What it can do is decided here from what main knows (the service record, the key's form, the CLI on
 * PATH), as data the window shows; the commands run through a ServiceRunner, faked in tests.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { ENCRYPTED_KEY_FILE } from '../home/identity-store.js';
import { readServiceRecord } from '../cli/service-record.js';
import type { ServiceRunner } from '../cli/service-runner.js';
import type { DesktopServiceStatus } from './service-status.js';

export type { DesktopServiceStatus };

export interface DesktopServiceDeps {
  /** The app's data folder: the node's home. */
  readonly home: string;
  /** The `clawbridge` command on this machine as node and its script, or null (cliOnPath). */
  readonly cli: () => readonly [string, string] | null;
  readonly run: ServiceRunner;
}

/**
 * Where a GUI session may lack the npm prefix on PATH (macOS starts apps with /usr/bin:/bin:…), the
 * usual global prefixes are looked at too.
 */
const USUAL_BIN_DIRS = ['/usr/local/bin', '/opt/homebrew/bin'];

/**
 * The installed `clawbridge` command as node and its script, or null: run as `node script …`, not
 * through the npm link, so no shell or shebang is involved (Windows runs a `.cmd` only through
 * cmd.exe) and the service it installs records this node and this script. The node is the one next to
 * the command (npm's prefix), else the first on PATH.
 */
export function cliOnPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): [string, string] | null {
  const win = platform === 'win32';
  const dirs = [...(env.PATH ?? '').split(win ? ';' : ':').filter(Boolean), ...(win ? [] : USUAL_BIN_DIRS)];
  const nodeIn = (dir: string) => join(dir, win ? 'node.exe' : 'node');
  for (const dir of dirs) {
    let script: string | undefined;
    if (win) {
      const shimmed = join(dir, 'node_modules', 'clawbridge', 'bin', 'clawbridge.js');
      if (existsSync(join(dir, 'clawbridge.cmd')) && existsSync(shimmed)) script = shimmed;
    } else if (existsSync(join(dir, 'clawbridge'))) {
      script = realpathSync(join(dir, 'clawbridge'));
    }
    if (!script) continue;
    const node = [dir, ...dirs].map(nodeIn).find((n) => existsSync(n));
    return node ? [node, script] : null;
  }
  return null;
}

/** What Settings can offer now. */
export function desktopServiceStatus(deps: DesktopServiceDeps): DesktopServiceStatus {
  const record = readServiceRecord(deps.home);
  if (record) return { installed: { name: record.name, log: record.log }, blocked: null };
  // The CLI agent cannot read a key the system keychain holds for the app (KEY_IN_DESKTOP_APP).
  if (existsSync(join(deps.home, ENCRYPTED_KEY_FILE)))
    return {
      installed: null,
      blocked:
        "This device's key is kept in the system keychain, which only the app can read: a service cannot run this node. Run a service for a node of its own (another --home) instead.",
    };
  if (deps.cli() === null)
    return {
      installed: null,
      blocked:
        'A service runs the clawbridge command, which is not installed here: install it (npm install -g clawbridge), then come back.',
    };
  return { installed: null, blocked: null };
}

async function runCli(deps: DesktopServiceDeps, args: string[]): Promise<void> {
  const cli = deps.cli();
  if (!cli) throw new ClawError('BAD_ARGUMENT', 'the clawbridge command is not installed here');
  const [node, script] = cli;
  const r = await deps.run(node, [script, ...args, '--home', deps.home]);
  if (r.code !== 0) {
    const said =
      r.stderr
        .trim()
        .split('\n')
        .at(-1)
        ?.replace(/^clawbridge: /, '') ?? '';
    throw new ClawError('SERVICE_FAILED', said || `clawbridge ${args.join(' ')} failed (exit ${r.code})`);
  }
}

/** `clawbridge service install agent --home HOME`. */
export const installDesktopService = (deps: DesktopServiceDeps): Promise<void> =>
  runCli(deps, ['service', 'install', 'agent']);

/** `clawbridge service uninstall --home HOME`. */
export const uninstallDesktopService = (deps: DesktopServiceDeps): Promise<void> =>
  runCli(deps, ['service', 'uninstall']);
