/**
 * Where a home's service is, found from what only the installer controls: its name from the kind and
 * the home (service-spec.ts serviceName), its definition in the manager's own folder (the user's
 * `~/.config/systemd/user`, `/etc/systemd/system`, `~/Library/LaunchAgents`) or Task Scheduler's
 * `\Clawbridge\` folder, its log from the manager. `service uninstall`, `status` and `logs` act on this
 * alone, never on the home's `service.json`, which the service's user can rewrite (service-record.ts):
 * the only units they can stop or delete are Clawbridge's, in the service folder.
 */
import { lstatSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { launchdLabel } from './service-launchd.js';
import type { ServiceManagerName } from './service-record.js';
import type { ServiceRunner } from './service-runner.js';
import { serviceLogPath, serviceName, SERVICE_KINDS, type ServiceKind } from './service-spec.js';
import { taskPath } from './service-windows-task.js';

/** What the machine is: given, so tests run any platform's install against a fake manager. */
export interface ServiceMachine {
  readonly platform: NodeJS.Platform;
  readonly run: ServiceRunner;
  /** This process's uid; -1 on Windows. */
  readonly uid: number;
  readonly user: string;
  /** Windows: the user's domain (USERDOMAIN), for the task's `DOMAIN\user`. */
  readonly userDomain?: string;
  /** The user's own home folder (os.homedir()). */
  readonly osHome: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where system units go (`/etc/systemd/system`). */
  readonly systemUnitDir: string;
  /** Where systemd keeps the users whose manager starts at boot (`/var/lib/systemd/linger`). */
  readonly lingerDir: string;
  readonly now: () => Date;
}

/** A service found on this machine for a home: every field derived, none read from the home. */
export interface LocatedService {
  readonly kind: ServiceKind;
  readonly name: string;
  readonly manager: ServiceManagerName;
  /** The unit's or plist's path, or the task's path in Task Scheduler. */
  readonly definition: string;
  /** Where its output goes: a file in the home, or the command that shows the journal. */
  readonly log: string;
}

/** The user unit folder: $XDG_CONFIG_HOME/systemd/user, or ~/.config/systemd/user. */
function userUnitDir(m: ServiceMachine): string {
  const config = m.env.XDG_CONFIG_HOME;
  return join(config && isAbsolute(config) ? config : join(m.osHome, '.config'), 'systemd', 'user');
}

/** Where the manager keeps the definition of the service `name`. */
export function definitionPath(m: ServiceMachine, manager: ServiceManagerName, name: string): string {
  switch (manager) {
    case 'systemd':
      return join(userUnitDir(m), `${name}.service`);
    case 'systemd-system':
      return join(m.systemUnitDir, `${name}.service`);
    case 'launchd':
      return join(m.osHome, 'Library', 'LaunchAgents', `${launchdLabel(name)}.plist`);
    case 'schtasks':
      return taskPath(name);
  }
}

/** The command that shows a systemd unit's journal. */
export const journalCommand = (manager: ServiceManagerName, name: string): string =>
  `journalctl ${manager === 'systemd' ? '--user ' : ''}-u ${name}.service`;

/** The service `kind` of `home` under `manager`, as install writes it. */
export function locate(
  m: ServiceMachine,
  manager: ServiceManagerName,
  kind: ServiceKind,
  home: string,
): LocatedService {
  const name = serviceName(kind, home);
  const systemd = manager === 'systemd' || manager === 'systemd-system';
  return {
    kind,
    name,
    manager,
    definition: definitionPath(m, manager, name),
    log: systemd ? journalCommand(manager, name) : serviceLogPath(home),
  };
}

/**
 * The managers a home's service may be under, seen from this process: root looks at system units only
 * (a user's own units are that user's to remove); a user at their user units, then the system's, which
 * they may read but not remove.
 */
export function managersHere(m: ServiceMachine): ServiceManagerName[] {
  if (m.platform === 'darwin') return ['launchd'];
  if (m.platform === 'win32') return ['schtasks'];
  if (m.platform !== 'linux') return [];
  return m.uid === 0 ? ['systemd-system'] : ['systemd', 'systemd-system'];
}

/** A definition file is there: a regular file, not a link (lstat), in the manager's folder. */
function definitionFileThere(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

/**
 * The home's services this machine has: each kind's definition where install writes it, asked of Task
 * Scheduler on Windows. Usually none or one; a leftover of a failed install counts too, so uninstall
 * removes it.
 */
export async function findServices(m: ServiceMachine, home: string): Promise<LocatedService[]> {
  const found: LocatedService[] = [];
  for (const manager of managersHere(m)) {
    for (const kind of SERVICE_KINDS) {
      const service = locate(m, manager, kind, home);
      const there =
        manager === 'schtasks'
          ? (await m.run('schtasks', ['/Query', '/TN', service.definition])).code === 0
          : definitionFileThere(service.definition);
      if (there) found.push(service);
    }
  }
  return found;
}
