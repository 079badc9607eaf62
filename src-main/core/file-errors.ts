/**
 * A file the node keeps (a key, a token, its socket) that cannot be read or written, in words that
 * name it and say what to do, instead of `EISDIR: illegal operation on a directory, rename …`.
 * Errors with other codes are returned as they are.
 */
import { dirname } from 'node:path';
import { ClawError, errnoOf, isClawError } from './errors.js';

export function fileProblem(path: string, err: unknown, doing: 'read' | 'write'): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EISDIR':
      return new ClawError('CONFIG_INVALID', `${path} is a directory, not a file: move it away`);
    case 'ENOTDIR':
      return new ClawError(
        'CONFIG_INVALID',
        `${dirname(path)} is not a directory: give --home a directory (or move that file away)`,
      );
    case 'EACCES':
    case 'EPERM':
      return new ClawError(
        'CONFIG_INVALID',
        `cannot ${doing} ${path} (permission denied): make its folder writable for this user (or run as the user that owns this home), or use your own --home`,
      );
    case 'EROFS':
    case 'ENOSPC':
    case 'EDQUOT':
      return diskProblem(path, err, doing);
    case 'EFBIG':
      return new ClawError(
        'CONFIG_INVALID',
        `cannot ${doing} ${path}: it would pass this process's file size limit; raise it (ulimit -f)`,
      );
    default:
      return err;
  }
}

/**
 * What the disk holding `path` says when a write there fails for the disk as a whole, in words that
 * name the disk (by the folder it holds) and what to do: `the disk holding /home/me/.clawbridge is
 * full: free space`. Undefined for any other code.
 */
export function diskFix(code: string | undefined, dir: string): string | undefined {
  switch (code) {
    case 'ENOSPC':
      return `the disk holding ${dir} is full: free space`;
    case 'EDQUOT':
      return `your quota on the disk holding ${dir} is used up: free space`;
    case 'EROFS':
      return `the disk holding ${dir} is read-only: make it writable (or use another --home)`;
    default:
      return undefined;
  }
}

/**
 * A write to `path` that failed for its disk (full, over quota, read-only) as a ClawError that says so
 * (DISK_FULL, DISK_READ_ONLY), the file system's error as its cause; any other error as it is. Every
 * durable write goes through it (home/durable-file.ts), so a full disk reads the same in each command.
 */
export function diskProblem(path: string, err: unknown, doing: 'read' | 'write' = 'write'): unknown {
  const code = errnoOf(err);
  const fix = diskFix(code, dirname(path));
  if (!fix || isClawError(err)) return err;
  return new ClawError(
    code === 'EROFS' ? 'DISK_READ_ONLY' : 'DISK_FULL',
    `cannot ${doing} ${path}: ${fix} and try again`,
    { cause: err },
  );
}

/** True when `err` is a write this node's disk refused (diskProblem): the owner's to fix, worth a warning. */
export function isDiskProblem(err: unknown): boolean {
  return isClawError(err, 'DISK_FULL') || isClawError(err, 'DISK_READ_ONLY');
}
