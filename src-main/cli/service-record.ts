/**
 * What a home remembers of the service installed for it: `service.json` in the home, written by
 * `service install` and removed by `service uninstall`. It is how install refuses a second service on
 * the same home, and how `status`, `logs` and the desktop app find the service without asking every
 * platform's manager about every name.
 */
import { chownSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { replaceFileSync } from '../home/durable-file.js';
import { ensureHomeDir } from '../home/home-dir.js';
import { SERVICE_KINDS, type ServiceKind } from './service-spec.js';

export const SERVICE_RECORD_FILE = 'service.json';

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

/** The home's service, or undefined when none was installed (or the file is not one of ours). */
export function readServiceRecord(home: string): ServiceRecord | undefined {
  const path = join(home, SERVICE_RECORD_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = serviceRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the record; `ownerUid`: root installing a system unit for another user gives the file to that
 * user, whose home it is in (and whose agent refuses files it does not own).
 */
export function writeServiceRecord(home: string, record: ServiceRecord, ownerUid?: number): void {
  if (ownerUid === undefined) ensureHomeDir(home);
  const path = join(home, SERVICE_RECORD_FILE);
  replaceFileSync(path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
  if (ownerUid !== undefined) chownSync(path, ownerUid, -1);
}

export function removeServiceRecord(home: string): void {
  rmSync(join(home, SERVICE_RECORD_FILE), { force: true });
}
