/**
 * Secrets given by file instead of on the command line: a process's arguments are readable by every
 * user of the machine (`ps`, `/proc/PID/cmdline`), a file of mode 0600 only by its owner
 * (docs/security.md §Another user on the same machine).
 */
import { readFileSync, statSync } from 'node:fs';
import { ClawError, errorMessage } from '../core/errors.js';

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/**
 * The secret in `path`, given with `flag`: the file's content with one trailing line break dropped
 * (`echo TOKEN > file` writes one). A file others may read is taken, with a warning to `warn`.
 * @throws ClawError('BAD_ARGUMENT') naming the flag and the file when it cannot be read
 */
export function readSecretFile(flag: string, path: string, warn: (line: string) => void): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warn(`${flag} ${path} can be read by other users (mode ${octal(mode)}); chmod 600 it`);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? errorMessage(err));
    throw new ClawError('BAD_ARGUMENT', `cannot read ${flag} ${path} (${why}); check the path`);
  }
  return text.replace(/\r?\n$/, '');
}

/** The warning for a secret given on the command line with `flag`; `instead` says what to use. */
export function argvSecretWarning(flag: string, instead: string): string {
  return `${flag} is on the command line, where other users of this machine can read it (ps); pass it with ${instead} instead`;
}
