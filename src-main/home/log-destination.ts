/**
 * Where a log line goes when its file is on a disk that can fill: written whole with writeSync, and a
 * line the disk refuses (ENOSPC, EROFS, EIO) is dropped. pino's own destination (sonic-boom 4) retries
 * a failed write of a synchronous flush every 100 ms for as long as it fails: on a full home the
 * session host's first line (its log is `session-host.log` in the home) left it asleep in that loop,
 * and every new terminal waited on a host that never answered. A log is worth less than the shells.
 */
import { fstatSync, writeSync } from 'node:fs';

/** What pino writes its lines to (its `DestinationStream`). */
export interface LogDestination {
  write(line: string): void;
}

/** Lines to the file open as `fd`, each dropped when the disk refuses it. */
export function fileLogDestination(fd: number): LogDestination {
  return {
    write(line) {
      try {
        writeSync(fd, line);
      } catch {
        // Dropped: the disk is full or gone, and logging must not stop what the process serves.
      }
    },
  };
}

/**
 * True when `fd` is a regular file (stderr sent to a log in the home: a service's log, launchd's and
 * the Windows task's); a pipe or a terminal may say EAGAIN, which pino's destination waits out.
 */
export function isFileFd(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
