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
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { ENCRYPTED_KEY_FILE } from '../home/identity-store.js';
import { readServiceRecord } from '../cli/service-record.js';
import type { ServiceRunner } from '../cli/service-runner.js';
import type { DesktopServiceStatus } from './service-status.js';

export type { DesktopServiceStatus };

export interface DesktopServiceDeps {
  /** The app's data folder: the node's home. */
  readonly home: string;
  /** The `clawbridge` command on this machine, or null (cliOnPath). */
  readonly cli: () => string | null;
  readonly run: ServiceRunner;
}

/** The first `clawbridge` (Windows: `clawbridge.cmd`) on PATH, or null. */
export function cliOnPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | null {
  const names = platform === 'win32' ? ['clawbridge.cmd', 'clawbridge.exe'] : ['clawbridge'];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean))
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
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
  const r = await deps.run(cli, [...args, '--home', deps.home]);
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
