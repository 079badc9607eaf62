/**
 * Installs and removes a home's service through the platform's own manager: systemd (`systemctl
 * --user`, or the system manager for a dedicated user), launchd (`launchctl` in the user's GUI domain)
 * or Task Scheduler (`schtasks`). The definitions come from the pure generators; where they go and
 * what the manager is told come from the kind and the home (service-locate.ts), never from the home's
 * record; the commands go through a ServiceRunner, so tests fake the manager and read what was
 * written. An install that fails takes back what it wrote, so nothing half-installed stays behind.
 */
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClawError, errorMessage } from '../core/errors.js';
import { commandArgs, commandIn, hereHint } from '../core/hint.js';
import { shellWord } from '../core/shell-word.js';
import { launchdLabel, launchdPlist } from './service-launchd.js';
import {
  findServices,
  locate,
  managersHere,
  type LocatedService,
  type ServiceMachine,
} from './service-locate.js';
import {
  readServiceRecordFile,
  removeServiceRecord,
  writeServiceRecord,
  type RecordOwner,
  type ServiceManagerName,
  type ServiceRecord,
} from './service-record.js';
import { SERVICE_LOG_FOLDER, checkServiceSpec, serviceArgv, type ServiceSpec } from './service-spec.js';
import { must, systemctlArgs, systemdAdvice } from './service-steps.js';
import { systemdUnit } from './service-systemd.js';
import { windowsTaskXml } from './service-windows-task.js';

export type { ServiceMachine } from './service-locate.js';

/** A service definition's file mode: its owner's alone. */
export const DEFINITION_MODE = 0o600;

export interface InstallOptions {
  /** Linux, as root: a system unit for this user. */
  runAs?: string;
}

export interface Installed {
  record: ServiceRecord;
  /** Lines the owner should read: a step left to them (enable-linger), where the log is. */
  notes: string[];
}

/** The manager an install here uses. */
const managerOf = (m: ServiceMachine, options: InstallOptions): ServiceManagerName => {
  if (m.platform === 'darwin') return 'launchd';
  if (m.platform === 'win32') return 'schtasks';
  if (m.platform !== 'linux')
    throw new ClawError('BAD_ARGUMENT', `clawbridge service has no service manager for ${m.platform}`);
  if (m.uid === 0) {
    if (!options.runAs)
      throw new ClawError(
        'BAD_ARGUMENT',
        'as root, give --run-as USER: the service then runs as that user in a system unit (a shell server never runs as root); as a user, leave it out for a user unit',
      );
    return 'systemd-system';
  }
  if (options.runAs)
    throw new ClawError('BAD_ARGUMENT', '--run-as needs root (a system unit); as a user, leave it out');
  return 'systemd';
};

/** A user's uid and primary group, or undefined when there is no such user. */
async function userIds(m: ServiceMachine, user: string): Promise<RecordOwner | undefined> {
  const [u, g] = [await m.run('id', ['-u', user]), await m.run('id', ['-g', user])];
  const [uid, gid] = [Number(u.stdout.trim()), Number(g.stdout.trim())];
  if (u.code !== 0 || g.code !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { uid, gid };
}

/**
 * `--run-as` naming root (or an account with uid 0): a shell server never runs as root, whose shells
 * would be root's for every peer granted `terminal` (docs/service.md).
 */
function runAsRoot(user: string, home: string): ClawError {
  return new ClawError(
    'BAD_ARGUMENT',
    `--run-as ${user}: the service would run as root, and a shell server never does; give it an account of its own (\`useradd --system --home-dir ${shellWord(home)} clawbridge\`, \`install -d -o clawbridge -m 700 ${shellWord(home)}\`), then \`--run-as clawbridge\``,
  );
}

/** A system unit's user must own the home: the agent refuses a home that is not its own. */
async function ownerCheck(m: ServiceMachine, home: string, user: string): Promise<RecordOwner> {
  const ids = await userIds(m, user);
  if (!ids) throw new ClawError('BAD_ARGUMENT', `no user ${user} here`);
  // Root under another name (`toor`) is root too.
  if (ids.uid === 0) throw runAsRoot(user, home);
  if (statSync(home, { throwIfNoEntry: false })?.uid !== ids.uid)
    throw new ClawError(
      'BAD_ARGUMENT',
      `the home ${home} must exist and belong to ${user}: create it with \`install -d -o ${user} -m 700 ${shellWord(home)}\``,
    );
  return ids;
}

/**
 * Who the home's record belongs to, for root removing a system unit: the unit's own `User=` (the unit
 * is root's file in root's folder), never the home's owner, which that user controls. Undefined for a
 * user's own service (the record is this user's) or a unit that names no user (then it is left).
 */
async function recordOwner(m: ServiceMachine, service: LocatedService): Promise<RecordOwner | undefined> {
  if (service.manager !== 'systemd-system') return undefined;
  let unit = '';
  try {
    unit = readFileSync(service.definition, 'utf8');
  } catch {
    return undefined;
  }
  const user = /^User=([a-z_][a-z0-9_.-]*)$/im.exec(unit)?.[1];
  return user ? userIds(m, user) : undefined;
}

/**
 * Refuses a second service on the home: one found where install writes (either kind), or a record of
 * one under a manager this process does not look at (a user's own unit, seen by root). A record with
 * nothing installed behind it is what an older failed install left: it is written over.
 */
async function refuseSecond(m: ServiceMachine, home: string): Promise<void> {
  const [found] = await findServices(m, home);
  if (found)
    throw new ClawError(
      'SERVICE_EXISTS',
      ...commandArgs(
        `the home ${home} already has a service (${found.kind}, ${found.definition}): one service per home; remove it first with `,
        hereHint(['service', 'uninstall']),
        '',
      ),
    );
  const recorded = readServiceRecordFile(home)?.record;
  if (recorded && !managersHere(m).includes(recorded.manager))
    throw new ClawError(
      'SERVICE_EXISTS',
      ...commandArgs(
        `the home ${home} says ${recorded.name} (${recorded.manager}) serves it, which this user cannot see or remove: one service per home; remove it first as the user who installed it, with `,
        hereHint(['service', 'uninstall']),
        '',
      ),
    );
}

/** Writes the definition and has the manager start it. */
async function writeAndStart(
  m: ServiceMachine,
  spec: ServiceSpec,
  service: LocatedService,
  runAs: string | undefined,
): Promise<void> {
  const { manager, name, definition } = service;
  // The definition holds the command line, flags and all (a --relay-token among them): only its owner
  // and the manager, which reads it as that owner or as root, read it.
  const private_ = { mode: DEFINITION_MODE, flag: 'wx' };
  if (manager === 'systemd' || manager === 'systemd-system') {
    const advice = (r: Parameters<typeof systemdAdvice>[3]) => systemdAdvice(m, manager, spec.home, r);
    mkdirSync(dirname(definition), { recursive: true });
    writeFileSync(definition, systemdUnit(spec, runAs ? { runAs } : {}), private_);
    await must(m, 'systemctl daemon-reload', 'systemctl', systemctlArgs(manager, 'daemon-reload'), advice);
    await must(
      m,
      `systemctl enable --now ${name}`,
      'systemctl',
      systemctlArgs(manager, 'enable', '--now', `${name}.service`),
      advice,
    );
  } else if (manager === 'launchd') {
    mkdirSync(join(spec.home, SERVICE_LOG_FOLDER), { recursive: true, mode: 0o700 });
    mkdirSync(dirname(definition), { recursive: true });
    writeFileSync(definition, launchdPlist(spec, name), private_);
    await must(m, 'launchctl bootstrap', 'launchctl', ['bootstrap', `gui/${m.uid}`, definition]);
  } else {
    mkdirSync(join(spec.home, SERVICE_LOG_FOLDER), { recursive: true });
    const xmlFile = join(spec.home, `${name}.task.xml`);
    const userId = m.userDomain ? `${m.userDomain}\\${m.user}` : m.user;
    // schtasks reads the XML as UTF-16, as its declaration says: a byte order mark, then little-endian.
    writeFileSync(
      xmlFile,
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(windowsTaskXml(spec, name, { userId }), 'utf16le'),
      ]),
    );
    try {
      await must(m, 'schtasks /Create', 'schtasks', ['/Create', '/TN', definition, '/XML', xmlFile]);
    } finally {
      rmSync(xmlFile, { force: true });
    }
    await must(m, 'schtasks /Run', 'schtasks', ['/Run', '/TN', definition]);
  }
}

/**
 * Stops the service and removes its definition, each step tried whatever the one before said (it may
 * never have started, or been removed by hand); only the last step's failure is an error.
 */
async function removeService(m: ServiceMachine, service: LocatedService): Promise<void> {
  const { manager, name, definition } = service;
  if (manager === 'systemd' || manager === 'systemd-system') {
    await m.run('systemctl', systemctlArgs(manager, 'disable', '--now', `${name}.service`));
    rmSync(definition, { force: true });
    await must(m, 'systemctl daemon-reload', 'systemctl', systemctlArgs(manager, 'daemon-reload'));
  } else if (manager === 'launchd') {
    await m.run('launchctl', ['bootout', `gui/${m.uid}/${launchdLabel(name)}`]);
    rmSync(definition, { force: true });
  } else {
    await m.run('schtasks', ['/End', '/TN', definition]);
    await must(m, 'schtasks /Delete', 'schtasks', ['/Delete', '/TN', definition, '/F']);
  }
}

/** Takes back a failed install; true when its definition is still there after that. */
async function rollBack(
  m: ServiceMachine,
  service: LocatedService,
  home: string,
  owner: RecordOwner | undefined,
): Promise<boolean> {
  try {
    await removeService(m, service);
  } catch {
    // Said below by what is left.
  }
  const left = (await findServices(m, home)).some((s) => s.definition === service.definition);
  if (!left) {
    try {
      removeServiceRecord(home, owner);
    } catch {
      // A record that cannot be removed names nothing installed: the next install writes over it.
    }
  }
  return left;
}

/**
 * Writes the service's definition, enables and starts it, and records it in the home. A step that
 * fails takes back the ones before it.
 * @throws ClawError('SERVICE_EXISTS') when the home has a service already
 * @throws ClawError('SERVICE_FAILED') when the manager refused a step, with what to do
 */
export async function installService(
  m: ServiceMachine,
  spec: ServiceSpec,
  options: InstallOptions = {},
): Promise<Installed> {
  checkServiceSpec(spec);
  if (options.runAs !== undefined && !/^[a-z_][a-z0-9_.-]*$/i.test(options.runAs))
    throw new ClawError('BAD_ARGUMENT', `--run-as takes a user name, got '${options.runAs}'`);
  if (options.runAs === 'root') throw runAsRoot('root', spec.home);
  const manager = managerOf(m, options);
  await refuseSecond(m, spec.home);
  const service = locate(m, manager, spec.kind, spec.home);
  // Not a unit of ours (findServices saw none): a link or a folder someone put there is not written
  // through, nor removed when the install is taken back.
  if (manager !== 'schtasks' && lstatSync(service.definition, { throwIfNoEntry: false }))
    throw new ClawError(
      'SERVICE_EXISTS',
      `${service.definition} is in the way (a link or a folder, not a unit install wrote): move it away, then install again`,
    );
  const owner = manager === 'systemd-system' ? await ownerCheck(m, spec.home, options.runAs!) : undefined;
  const record: ServiceRecord = {
    kind: spec.kind,
    name: service.name,
    manager,
    definition: service.definition,
    argv: serviceArgv(spec),
    flags: [...spec.flags],
    log: service.log,
    installedAt: m.now().toISOString(),
  };
  try {
    await writeAndStart(m, spec, service, options.runAs);
    writeServiceRecord(spec.home, record, owner);
  } catch (err) {
    const left = await rollBack(m, service, spec.home, owner);
    const what =
      err instanceof ClawError ? err.message : `installing ${service.name} failed: ${errorMessage(err)}`;
    const code = err instanceof ClawError ? err.code : 'SERVICE_FAILED';
    if (!left) throw new ClawError(code, `${what} (nothing was left installed)`, { cause: err });
    const { message, hint } = commandIn(
      `${what}; ${service.definition} could not be removed: `,
      hereHint(['service', 'uninstall']),
      ' removes it',
    );
    throw new ClawError(code, message, { hint, cause: err });
  }
  const notes: string[] = [];
  if (manager === 'systemd' && statSync(join(m.lingerDir, m.user), { throwIfNoEntry: false }) === undefined)
    notes.push(
      `it starts when you log in; to start it at boot, before anyone logs in, run once: loginctl enable-linger ${shellWord(m.user)}`,
    );
  notes.push(`its log: ${service.log}`);
  return { record, notes };
}

/**
 * Stops, disables and removes every service of the home this machine has (one, or a leftover of a
 * failed install too), then the home's record. A record with nothing behind it is removed alone.
 * @returns what was removed; empty when only a leftover record was
 * @throws ClawError('BAD_ARGUMENT') when the home has none, or only one this user may not remove
 */
export async function uninstallService(m: ServiceMachine, home: string): Promise<LocatedService[]> {
  const found = await findServices(m, home);
  const system = found.find((s) => s.manager === 'systemd-system');
  if (system && m.uid !== 0)
    throw new ClawError(
      'BAD_ARGUMENT',
      `${system.name} is a system unit (${system.definition}): only root removes it; run \`sudo clawbridge service uninstall --home ${shellWord(home)}\``,
    );
  const recorded = readServiceRecordFile(home)?.record;
  if (found.length === 0) {
    // Root trusts no one's word for whose record it is: only a user removes their own leftover.
    if (!recorded || !managersHere(m).includes(recorded.manager) || recorded.manager === 'systemd-system')
      throw new ClawError(
        'BAD_ARGUMENT',
        recorded
          ? `the home ${home} has no service this user can remove, though its service.json names ${recorded.name} (${recorded.manager}): remove the file by hand, or uninstall as the user who installed it`
          : `the home ${home} has no service installed`,
      );
    removeServiceRecord(home);
    return [];
  }
  const owner = (await Promise.all(found.map((s) => recordOwner(m, s)))).find((o) => o !== undefined);
  for (const service of found) await removeService(m, service);
  // A system unit that names no user of this machine: the record is left to whoever owns the home.
  if (!found.some((s) => s.manager === 'systemd-system') || owner) removeServiceRecord(home, owner);
  return found;
}
