/**
 * Replacing a small file (config.json) so that a reader finds the old file or the whole new one, never
 * a part, and a full disk fails the save instead of leaving half a file.
 *
 * Not conf's own save: it goes through `atomically`, whose writeFileSync (2.1.1) issues one write(2)
 * and ignores a short one. On a nearly full disk that wrote the first pages of the settings and then
 * renamed them over config.json, and the next start refused the file: every peer and forward lost,
 * while the command that saved said it had worked. node:fs's writeFileSync writes until every byte is
 * out or the disk says ENOSPC.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { diskProblem } from '../core/file-errors.js';

/** The temp file next to `path` that a save writes first: `NAME.PID.tmp` (stale-temp-files.ts). */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/**
 * Writes `data` to `path` through a temp file, fsynced, then renamed over it. With `sync: false` the
 * fsyncs are left out: a crash may then leave the old file, or on some file systems an empty one (its
 * reader then starts without it) — for files
 * whose loss costs only a hint (observations-file.ts), written often enough that a flush each time
 * would cost more than it saves.
 * @throws ClawError('DISK_FULL' or 'DISK_READ_ONLY') naming the disk (core/file-errors.ts), its cause the
 * file system's error; the file system's error itself for any other (EACCES, EFBIG…). `path` is as it
 * was then.
 */
export function replaceFileSync(path: string, data: string, mode: number, { sync = true } = {}): void {
  const tmp = tempPathFor(path);
  // A leftover temp file would keep its old mode and content: start from a new file.
  rmSync(tmp, { force: true });
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeFileSync(fd, data);
      if (sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw diskProblem(path, err);
  }
  if (sync) syncDirSync(dirname(path));
}

/** Makes the rename durable; Windows cannot open a folder for fsync (NTFS journals the rename). */
function syncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
