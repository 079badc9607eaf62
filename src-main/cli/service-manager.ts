/**
 * Installs, removes and asks after a home's service through the platform's own manager: systemd
 * (`systemctl --user`, or the system manager for a dedicated user), launchd (`launchctl` in the user's
 * GUI domain) or Task Scheduler (`schtasks`). The definitions come from the pure generators; the
 * commands go through a ServiceRunner, so tests fake the manager and read what was written.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ClawError } from '../core/errors.js';
import { launchdLabel, launchdPlist } from './service-launchd.js';
import {
  readServiceRecord,
  removeServiceRecord,
  writeServiceRecord,
  type ServiceManagerName,
  type ServiceRecord,
} from './service-record.js';
import type { ServiceRunner } from './service-runner.js';
import {
  checkServiceSpec,
  serviceArgv,
  serviceLogPath,
  serviceName,
  SERVICE_LOG_FOLDER,
  type ServiceSpec,
} from './service-spec.js';
import { systemdUnit } from './service-systemd.js';
import { taskPath, windowsTaskXml } from './service-windows-task.js';

/** A service definition's file mode: its owner's alone. */
export const DEFINITION_MODE = 0o600;

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

export interface InstallOptions {
  /** Linux, as root: a system unit for this user. */
  runAs?: string;
}

export interface Installed {
  record: ServiceRecord;
  /** Lines the owner should read: a step left to them (enable-linger), where the log is. */
  notes: string[];
}

const fail = (what: string, r: { code: number; stderr: string; stdout: string }): never => {
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  throw new ClawError('SERVICE_FAILED', `${what} failed (exit ${r.code})${said ? `: ${said}` : ''}`);
};

async function must(m: ServiceMachine, what: string, file: string, args: readonly string[]): Promise<void> {
  const r = await m.run(file, args);
  if (r.code !== 0) fail(what, r);
}

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

const systemctl = (manager: ServiceManagerName, ...args: string[]) =>
  manager === 'systemd' ? ['--user', ...args] : args;

/** The user unit folder: $XDG_CONFIG_HOME/systemd/user, or ~/.config/systemd/user. */
function userUnitDir(m: ServiceMachine): string {
  const config = m.env.XDG_CONFIG_HOME;
  return join(config && isAbsolute(config) ? config : join(m.osHome, '.config'), 'systemd', 'user');
}

function definitionPath(m: ServiceMachine, manager: ServiceManagerName, name: string): string {
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

const journalCommand = (manager: ServiceManagerName, name: string) =>
  `journalctl ${manager === 'systemd' ? '--user ' : ''}-u ${name}.service`;

/** A system unit's user must own the home: the agent refuses a home that is not its own. */
async function ownerCheck(m: ServiceMachine, home: string, user: string): Promise<number> {
  const r = await m.run('id', ['-u', user]);
  const uid = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(uid)) throw new ClawError('BAD_ARGUMENT', `no user ${user} here`);
  if (!existsSync(home) || statSync(home).uid !== uid)
    throw new ClawError(
      'BAD_ARGUMENT',
      `the home ${home} must exist and belong to ${user}: create it with \`install -d -o ${user} -m 700 ${home}\``,
    );
  return uid;
}

/**
 * Writes the service's definition, enables and starts it, and records it in the home.
 * @throws ClawError('SERVICE_EXISTS') when the home has a service already
 */
export async function installService(
  m: ServiceMachine,
  spec: ServiceSpec,
  options: InstallOptions = {},
): Promise<Installed> {
  checkServiceSpec(spec);
  if (options.runAs !== undefined && !/^[a-z_][a-z0-9_.-]*$/i.test(options.runAs))
    throw new ClawError('BAD_ARGUMENT', `--run-as takes a user name, got '${options.runAs}'`);
  const existing = readServiceRecord(spec.home);
  if (existing)
    throw new ClawError(
      'SERVICE_EXISTS',
      `the home ${spec.home} already has a service (${existing.kind}, ${existing.name}): one service per home; remove it first with \`clawbridge service uninstall --home ${spec.home}\``,
    );
  const manager = managerOf(m, options);
  const name = serviceName(spec.kind, spec.home);
  const definition = definitionPath(m, manager, name);
  if (manager !== 'schtasks' && existsSync(definition))
    throw new ClawError(
      'SERVICE_EXISTS',
      `${definition} already exists: another install of this home's service; remove it, or run \`clawbridge service uninstall --home ${spec.home}\``,
    );
  const ownerUid = manager === 'systemd-system' ? await ownerCheck(m, spec.home, options.runAs!) : undefined;
  // The definition holds the command line, flags and all (a --relay-token among them): only its owner
  // and the manager, which reads it as that owner or as root, read it.
  const private_ = { mode: DEFINITION_MODE };
  const notes: string[] = [];
  let log = serviceLogPath(spec.home);
  if (manager === 'systemd' || manager === 'systemd-system') {
    mkdirSync(dirname(definition), { recursive: true });
    writeFileSync(definition, systemdUnit(spec, options.runAs ? { runAs: options.runAs } : {}), private_);
    await must(m, 'systemctl daemon-reload', 'systemctl', systemctl(manager, 'daemon-reload'));
    await must(
      m,
      `systemctl enable --now ${name}`,
      'systemctl',
      systemctl(manager, 'enable', '--now', `${name}.service`),
    );
    log = journalCommand(manager, name);
    if (manager === 'systemd' && !existsSync(join(m.lingerDir, m.user)))
      notes.push(
        `it starts when you log in; to start it at boot, before anyone logs in, run once: loginctl enable-linger ${m.user}`,
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
  const record: ServiceRecord = {
    kind: spec.kind,
    name,
    manager,
    definition,
    argv: serviceArgv(spec),
    flags: [...spec.flags],
    log,
    installedAt: m.now().toISOString(),
  };
  writeServiceRecord(spec.home, record, ownerUid);
  notes.push(`its log: ${log}`);
  return { record, notes };
}

/**
 * Stops and disables the home's service and removes its definition and record.
 * @throws ClawError('BAD_ARGUMENT') when the home has none
 */
export async function uninstallService(m: ServiceMachine, home: string): Promise<ServiceRecord> {
  const record = readServiceRecord(home);
  if (!record) throw new ClawError('BAD_ARGUMENT', `the home ${home} has no service installed`);
  const { manager, name, definition } = record;
  if (manager === 'systemd' || manager === 'systemd-system') {
    // Already stopped or disabled by hand: what is left is removed all the same.
    await m.run('systemctl', systemctl(manager, 'disable', '--now', `${name}.service`));
    rmSync(definition, { force: true });
    await must(m, 'systemctl daemon-reload', 'systemctl', systemctl(manager, 'daemon-reload'));
  } else if (manager === 'launchd') {
    await m.run('launchctl', ['bootout', `gui/${m.uid}/${launchdLabel(name)}`]);
    rmSync(definition, { force: true });
  } else {
    await m.run('schtasks', ['/End', '/TN', definition]);
    await must(m, 'schtasks /Delete', 'schtasks', ['/Delete', '/TN', definition, '/F']);
  }
  removeServiceRecord(home);
  return record;
}

export interface ServiceState {
  /** The manager's own word for it: `active (running)`, `running`, `Ready`… */
  readonly state: string;
  readonly running: boolean;
  readonly pid?: number;
  /** When the running process started, as the manager says it. */
  readonly since?: string;
}

const fields = (text: string, sep: string | RegExp): Map<string, string> =>
  new Map(
    text
      .split(/\r?\n/)
      .map((l) => l.trim().split(sep))
      .filter((p) => p.length >= 2)
      .map(([k, ...v]) => [k!.trim(), v.join(typeof sep === 'string' ? sep : ':').trim()]),
  );

/** What the manager says of the service now. */
export async function serviceState(m: ServiceMachine, record: ServiceRecord): Promise<ServiceState> {
  const { manager, name } = record;
  if (manager === 'systemd' || manager === 'systemd-system') {
    const r = await m.run(
      'systemctl',
      systemctl(
        manager,
        'show',
        `${name}.service`,
        '-p',
        'ActiveState,SubState,MainPID,ActiveEnterTimestamp',
      ),
    );
    if (r.code !== 0) return { state: 'unknown to systemd', running: false };
    const f = fields(r.stdout, '=');
    const pid = Number(f.get('MainPID'));
    const running = f.get('ActiveState') === 'active';
    return {
      state: `${f.get('ActiveState') ?? '?'} (${f.get('SubState') ?? '?'})`,
      running,
      ...(running && pid > 0 ? { pid } : {}),
      ...(running && f.get('ActiveEnterTimestamp') ? { since: f.get('ActiveEnterTimestamp')! } : {}),
    };
  }
  if (manager === 'launchd') {
    const r = await m.run('launchctl', ['print', `gui/${m.uid}/${launchdLabel(name)}`]);
    if (r.code !== 0) return { state: 'not loaded', running: false };
    const f = fields(r.stdout, ' = ');
    const pid = Number(f.get('pid'));
    const running = f.get('state') === 'running' && pid > 0;
    const started = running ? await m.run('ps', ['-o', 'lstart=', '-p', String(pid)]) : undefined;
    return {
      state: f.get('state') ?? '?',
      running,
      ...(running ? { pid } : {}),
      ...(started?.code === 0 && started.stdout.trim() ? { since: started.stdout.trim() } : {}),
    };
  }
  const r = await m.run('schtasks', ['/Query', '/TN', record.definition, '/FO', 'LIST', '/V']);
  if (r.code !== 0) return { state: 'not registered', running: false };
  const f = fields(r.stdout, /:\s/);
  const status = f.get('Status') ?? '?';
  const running = status === 'Running';
  return {
    state: status,
    running,
    ...(running && f.get('Last Run Time') ? { since: f.get('Last Run Time')! } : {}),
  };
}

/** The last `lines` lines of the service's output. */
export async function serviceLogs(
  m: ServiceMachine,
  record: ServiceRecord,
  lines: number,
): Promise<string[]> {
  if (record.manager === 'systemd' || record.manager === 'systemd-system') {
    const r = await m.run('journalctl', [
      ...(record.manager === 'systemd' ? ['--user'] : []),
      '-u',
      `${record.name}.service`,
      '-n',
      String(lines),
      '--no-pager',
      '-o',
      'short-iso',
    ]);
    if (r.code !== 0) fail('journalctl', r);
    return r.stdout.split('\n').filter((l) => l !== '');
  }
  return tailLines(record.log, lines);
}

/** Most of a log file read for its last lines: a log that grew large is not read whole. */
const TAIL_BYTES = 1024 * 1024;

function tailLines(path: string, lines: number): string[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, size - length);
    const all = buf.toString('utf8').split(/\r?\n/);
    // Cut mid-file: the first line is likely a part.
    if (length < size) all.shift();
    return all.filter((l) => l !== '').slice(-lines);
  } finally {
    closeSync(fd);
  }
}
