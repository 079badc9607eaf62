/**
 * Temp files that a crash left behind. Our small files (the identity, the web UI token, the relay's
 * certificate) are written as `NAME.PID.tmp` and renamed over NAME; a process that dies between the
 * two leaves its temp file, which nothing would ever remove or overwrite (the next writer has another
 * PID). For a key file that is a stray copy of the private key. A start removes those of processes
 * that are gone, and only those: a live process may be writing its temp file right now.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const TEMP_NAME = /^(.+)\.(\d+)\.tmp$/;

/** True unless no process has this PID (EPERM means one does, of another user). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes `NAME.PID.tmp` in `dir` for each NAME in `names` whose PID is not a running process; returns
 * the names of the files removed. Anything else in `dir` is left alone, and so is a missing `dir`.
 */
export function removeStaleTempFiles(dir: string, names: readonly string[]): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = TEMP_NAME.exec(entry);
    if (!m || !names.includes(m[1]!)) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processExists(pid)) continue;
    try {
      unlinkSync(join(dir, entry));
      removed.push(entry);
    } catch {
      // Gone already, or not ours to remove: nothing to clean.
    }
  }
  return removed;
}
