/**
 * What a home says of the service installed for it: `service.json` in the home, written by `service
 * install` and removed by `service uninstall`. The desktop app reads it to know a service serves its
 * home, and `service status` shows the command line it records.
 *
 * It is a note, never an authority: the home belongs to the user the service runs as, so whoever has a
 * shell there (that user, a peer granted `terminal`) can rewrite it. What the manager is told to stop,
 * what is deleted and which journal is read come from the kind and the home (service-locate.ts), never
 * from this file; and root, installing a system unit for another user, writes and removes it only as
 * that user (docs/service.md §Who may change what).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { replaceFileSync } from '../home/durable-file.js';
import { currentUid, ensureHomeDir } from '../home/home-dir.js';
import { SERVICE_KINDS, type ServiceKind } from './service-spec.js';

export const SERVICE_RECORD_FILE = 'service.json';

/** Most a record takes: a command line with its flags, well under this. A larger file is not ours. */
export const SERVICE_RECORD_MAX_BYTES = 64 * 1024;

/** How long writing the record as the home's owner may take, in ms, before it counts as failed. */
const AS_OWNER_TIMEOUT_MS = 30_000;

const serviceRecordSchema = z.object({
  kind: z.enum(SERVICE_KINDS as [ServiceKind, ...ServiceKind[]]),
  /** The service manager's name for it (service-spec.ts serviceName). */
  name: z.string().min(1),
  /** `systemd`, `systemd-system`, `launchd` or `schtasks`. */
  manager: z.enum(['systemd', 'systemd-system', 'launchd', 'schtasks']),
  /** Where its definition was written (the unit, the plist; the task's path in Task Scheduler). */
  definition: z.string().min(1),
  /** The command line it runs. */
  argv: z.array(z.string()),
  /** The flags given after the home. */
  flags: z.array(z.string()),
  /** Where its output goes: a file, or the command that shows the journal. */
  log: z.string(),
  /** When it was installed (ISO 8601). */
  installedAt: z.string(),
});

export type ServiceRecord = z.infer<typeof serviceRecordSchema>;
export type ServiceManagerName = ServiceRecord['manager'];

// O_NOFOLLOW: a link there is not our record. O_NONBLOCK: a FIFO there cannot hold the open.
const OPEN_FLAGS =
  constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * The home's record and the uid that owns the file (who last wrote it), or undefined when there is
 * none or it is not one of ours: a link, a FIFO, a file over SERVICE_RECORD_MAX_BYTES, not our JSON.
 */
export function readServiceRecordFile(home: string): { record: ServiceRecord; ownerUid: number } | undefined {
  let fd: number;
  try {
    fd = openSync(join(home, SERVICE_RECORD_FILE), OPEN_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > SERVICE_RECORD_MAX_BYTES) return undefined;
    const buf = Buffer.alloc(SERVICE_RECORD_MAX_BYTES + 1);
    let got = 0;
    for (let n = 1; n > 0 && got < buf.length; got += n) n = readSync(fd, buf, got, buf.length - got, got);
    if (got > SERVICE_RECORD_MAX_BYTES) return undefined;
    const parsed = serviceRecordSchema.safeParse(JSON.parse(buf.toString('utf8', 0, got)));
    return parsed.success ? { record: parsed.data, ownerUid: st.uid } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The home's record, or undefined when none was installed (or the file is not one of ours). */
export function readServiceRecord(home: string): ServiceRecord | undefined {
  return readServiceRecordFile(home)?.record;
}

/** The account a record is written and removed as: the service's user, for root's system unit. */
export interface RecordOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Writes or removes the record, as `owner` when that is another user. Root, installing a system unit,
 * is in a folder that user controls: a path it wrote or removed there as root could be swapped under it
 * for a link to a folder of root's, so a child process running as that user does it, with that user's
 * rights and nothing of root's (no supplementary groups, no environment). Who the owner is comes from
 * what root trusts (the --run-as user, the unit's User=), never from the home, which that user owns.
 */
function asOwner(
  home: string,
  owner: RecordOwner | undefined,
  op: 'write' | 'remove',
  inProcess: () => void,
  data = '',
): void {
  if (!owner || owner.uid === currentUid()) return inProcess();
  const path = join(home, SERVICE_RECORD_FILE);
  const r = spawnSync(process.execPath, ['-e', AS_OWNER_SCRIPT, op, path], {
    uid: owner.uid,
    gid: owner.gid,
    input: data,
    env: {},
    cwd: '/',
    stdio: ['pipe', 'ignore', 'pipe'],
    timeout: AS_OWNER_TIMEOUT_MS,
  });
  if (r.status !== 0) {
    const said = String(r.stderr ?? '')
      .split('\n')
      .find((l) => /^\w*Error\b/.test(l));
    throw new ClawError(
      'SERVICE_FAILED',
      `could not ${op} ${path} as the service's user (uid ${owner.uid})${said ? ` (${said.trim()})` : r.error ? ` (${r.error.message})` : ''}: the home must be a folder that user can write`,
    );
  }
}

/** What the child running as the home's owner does: the same temp-file-and-rename as replaceFileSync. */
const AS_OWNER_SCRIPT = `
const fs = require('node:fs');
const [op, path] = process.argv.slice(1);
if (op === 'remove') fs.rmSync(path, { force: true });
else {
  const tmp = path + '.' + process.pid + '.tmp';
  fs.rmSync(tmp, { force: true });
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try { fs.writeFileSync(fd, fs.readFileSync(0)); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  try { fs.renameSync(tmp, path); } catch (err) { fs.rmSync(tmp, { force: true }); throw err; }
}`;

/** Writes the record, as `owner` (asOwner). */
export function writeServiceRecord(home: string, record: ServiceRecord, owner?: RecordOwner): void {
  const text = `${JSON.stringify(record, null, 2)}\n`;
  asOwner(
    home,
    owner,
    'write',
    () => {
      ensureHomeDir(home);
      replaceFileSync(join(home, SERVICE_RECORD_FILE), text, 0o600);
    },
    text,
  );
}

/** Removes the record, as `owner` (asOwner). */
export function removeServiceRecord(home: string, owner?: RecordOwner): void {
  asOwner(home, owner, 'remove', () => rmSync(join(home, SERVICE_RECORD_FILE), { force: true }));
}
