/**
 * What a home's service is doing and what it printed: asked of the platform's manager (`systemctl
 * show`, `launchctl print`, `schtasks /Query`) or read from its log, for the service service-locate.ts
 * found, whose name and log come from the kind and the home, never from the home's record.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { LocatedService, ServiceMachine } from './service-locate.js';
import { launchdLabel } from './service-launchd.js';
import { serviceFailed, systemctlArgs } from './service-steps.js';

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
export async function serviceState(m: ServiceMachine, service: LocatedService): Promise<ServiceState> {
  const { manager, name } = service;
  if (manager === 'systemd' || manager === 'systemd-system') {
    const r = await m.run(
      'systemctl',
      systemctlArgs(
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
  const r = await m.run('schtasks', ['/Query', '/TN', service.definition, '/FO', 'LIST', '/V']);
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
  service: LocatedService,
  lines: number,
): Promise<string[]> {
  if (service.manager === 'systemd' || service.manager === 'systemd-system') {
    const r = await m.run('journalctl', [
      ...(service.manager === 'systemd' ? ['--user'] : []),
      '-u',
      `${service.name}.service`,
      '-n',
      String(lines),
      '--no-pager',
      '-o',
      'short-iso',
    ]);
    if (r.code !== 0) serviceFailed('journalctl', r);
    return r.stdout.split('\n').filter((l) => l !== '');
  }
  return tailLines(service.log, lines);
}

/** Most of a log file read for its last lines: a log that grew large is not read whole. */
const TAIL_BYTES = 1024 * 1024;

// O_NOFOLLOW, O_NONBLOCK: a link or a FIFO put where the log goes is not read (nor waited on).
const OPEN_FLAGS =
  constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

function tailLines(path: string, lines: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch {
    return [];
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return [];
    const size = st.size;
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
