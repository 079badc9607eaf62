/**
 * Errors writing a command's output (stdout or stderr). Output that was lost must never look like
 * success: `clawbridge term office -- tar -cf - /srv > backup.tar` on a full disk has to fail, as
 * `tar … > backup.tar` does. So:
 *
 * - EPIPE (whoever reads it went away, `… | head -1`) ends the command as SIGPIPE would have: quietly,
 *   status 141 (Node ignores SIGPIPE, so the write fails instead);
 * - any other error (ENOSPC, EIO, EFBIG) is said once on stderr and the status is 1, as coreutils'
 *   "write error" is.
 *
 * Node's console swallows write errors, so without this a command writing to a full disk exited 0.
 */
import { constants } from 'node:os';
import { errorMessage } from '../core/errors.js';
import { exitAfterStop } from './stop-signals.js';
import { printNote } from './output.js';

/** The status of a command whose output reader went away. */
export const SIGPIPE_STATUS = 128 + constants.signals.SIGPIPE;

export interface OutputFailure {
  status: number;
  /** What to say (none for EPIPE). */
  message?: string;
}

let failure: OutputFailure | undefined;

/** What a write error means for the command (pure). */
export function outputFailureOf(err: NodeJS.ErrnoException): OutputFailure {
  if (err.code === 'EPIPE') return { status: SIGPIPE_STATUS };
  // Node says `ENOSPC: no space left on device, write`: the system's words first, its code after.
  const system = /^(E[A-Z]+): (.+), \w+$/.exec(err.message);
  const why = system ? `${system[2]} (${system[1]})` : errorMessage(err);
  return { status: 1, message: `cannot write the output: ${why}` };
}

/**
 * Watches stdout and stderr from now on (the first failure is kept: the others follow from it). When
 * the process exits, a failure is said, and turns a successful status into its own.
 */
export function watchOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= outputFailureOf(err);
    });
  }
  process.once('exit', (code) => {
    if (!failure) return;
    // Synchronous on a file, a terminal and (on Linux and macOS) a pipe: it gets out before the exit.
    if (failure.message) printNote(failure.message);
    if (code === 0) process.exitCode = failure.status;
  });
}

/**
 * Exits with `code` once everything written to stderr and stdout is out (pipes may be asynchronous);
 * after a stop `signal`, as exitAfterStop does.
 */
export function exitAfterOutput(code: number, signal?: NodeJS.Signals): void {
  process.stderr.write('', () => process.stdout.write('', () => exitAfterStop(signal, code)));
}
