/**
 * The desktop app's log files (docs/desktop-app.md §Logs): main writes `main.log`, the agent's utility
 * process `agent.log`, both in the folder Electron names `app.getPath('logs')`. Nothing reads the
 * processes' stderr in a packaged app, so what the agent says when no window listens (Agent.notice)
 * and what main reports would otherwise be lost. No `electron` import: the agent process uses it too.
 */
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isoTime } from '../core/iso-time.js';

/** The agent's log file name, in the logs folder. */
export const AGENT_LOG_FILE = 'agent.log';
/** Main's log file name (its own lines: restarts, links it refused, key warnings). */
export const MAIN_LOG_FILE = 'main.log';

/**
 * Size at which a log file is set aside, in bytes (4 MiB: months of warnings, and small enough to
 * attach to a bug report). The previous file is kept as `<name>.1`, so one log takes at most twice this.
 */
export const MAX_LOG_BYTES = 4 * 1024 * 1024;

/** A log file that is set aside as `<name>.1` when it passes its size, at open and while written. */
export interface LogFile {
  /** Absolute path of the current file. */
  readonly path: string;
  /** Appends `text` as it is (pino's lines end in a newline already). Never throws. */
  write(text: string): void;
  /** Appends one line with the time in front, for main's plain text lines. */
  line(text: string): void;
  close(): void;
}

/**
 * Opens `dir/name` for appending (created 0600 in a 0700 folder when missing: addresses, peer names and
 * fingerprints are nobody else's business). A file already past `maxBytes` is set aside first.
 */
export function openLogFile(dir: string, name: string, maxBytes: number = MAX_LOG_BYTES): LogFile {
  const path = join(dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  let fd: number | undefined;
  const rotate = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    renameSync(path, `${path}.1`);
    size = 0;
  };
  if (size >= maxBytes) rotate();
  fd = openSync(path, 'a', 0o600);
  let broken = false;
  const write = (text: string) => {
    if (broken) return;
    try {
      if (size >= maxBytes) rotate();
      fd ??= openSync(path, 'a', 0o600);
      const bytes = Buffer.from(text, 'utf8');
      writeSync(fd, bytes);
      size += bytes.length;
    } catch {
      // A full disk or a folder removed under us: logging must never take the app down with it.
      broken = true;
    }
  };
  return {
    path,
    write,
    line: (text) => write(`${isoTime()} ${text}\n`),
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      broken = true;
    },
  };
}
