/**
 * Temp files that a crash left behind. Our small files (the identity, the web UI token, the relay's
 * certificate) are written as `NAME.PID.tmp` and renamed over NAME; a process that dies between the
 * two leaves its temp file, which nothing would ever remove or overwrite (the next writer has another
 * PID). For a key file that is a stray copy of the private key. A start removes those of processes
 * that are gone, and only those: a live process may be writing its temp file right now.
 */
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { processExists } from '../core/process-exists.js';

const TEMP_NAME = /^(.+)\.(\d+)\.tmp$/;

/**
 * Removes each file of `dir` that `stale` picks, and returns their names; a missing `dir`, or a file
 * that is gone or not ours to remove, is nothing to clean.
 */
function removeWhere(dir: string, stale: (entry: string, path: string) => boolean): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      if (!stale(entry, path)) continue;
      unlinkSync(path);
      removed.push(entry);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}

/**
 * Removes `NAME.PID.tmp` in `dir` for each NAME in `names` whose PID is not a running process; returns
 * the names of the files removed. Anything else in `dir` is left alone, and so is a missing `dir`.
 */
export function removeStaleTempFiles(dir: string, names: readonly string[]): string[] {
  return removeWhere(dir, (entry) => {
    const m = TEMP_NAME.exec(entry);
    if (!m || !names.includes(m[1]!)) return false;
    const pid = Number(m[2]);
    return pid !== process.pid && !processExists(pid);
  });
}

/**
 * Saves of config.json write `config.json.PID.tmp` first (durable-file.ts); older releases saved through
 * conf, which wrote `config.json.tmp-HEX` (no PID in the name).
 */
const SETTINGS_TEMP_NAME = /^config\.json\.tmp-[0-9a-f]+$/;
/** Older than this, in ms, a settings temp file is no save in progress: saves take milliseconds. */
const SETTINGS_TEMP_STALE_MS = 60_000;

/**
 * Removes the settings temp files a crash during a save left in `home` (each a full copy of the
 * settings, relay tokens included). Call it while holding the home (the control socket): only the agent
 * that holds it saves settings there; an age check spares a save in progress all the same.
 */
export function removeStaleSettingsTempFiles(home: string, now = Date.now()): string[] {
  return [
    ...removeStaleTempFiles(home, ['config.json', 'members.json']),
    ...removeWhere(
      home,
      (entry, path) =>
        SETTINGS_TEMP_NAME.test(entry) && now - statSync(path).mtimeMs >= SETTINGS_TEMP_STALE_MS,
    ),
  ];
}
