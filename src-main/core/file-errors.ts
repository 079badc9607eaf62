/**
 * A file the node keeps (a key, a token, its socket) that cannot be read or written, in words that
 * name it and say what to do, instead of `EISDIR: illegal operation on a directory, rename …`.
 * Errors with other codes are returned as they are.
 */
import { dirname } from 'node:path';
import { ClawError } from './errors.js';

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
      return new ClawError('CONFIG_INVALID', `cannot ${doing} ${path}: the file system is read-only`);
    case 'ENOSPC':
      return new ClawError('CONFIG_INVALID', `cannot ${doing} ${path}: the disk is full; free some space`);
    case 'EDQUOT':
      return new ClawError(
        'CONFIG_INVALID',
        `cannot ${doing} ${path}: your disk quota is used up; free some space`,
      );
    case 'EFBIG':
      return new ClawError(
        'CONFIG_INVALID',
        `cannot ${doing} ${path}: it would pass this process's file size limit; raise it (ulimit -f)`,
      );
    default:
      return err;
  }
}
