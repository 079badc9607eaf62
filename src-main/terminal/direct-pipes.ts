/**
 * `clawbridge term`'s stdin and stdout pipes, opened by its agent for direct I/O (ADR 0038): when a
 * program drives `term -t` through pipes, as a script or a test harness does, the agent reads what it
 * writes and writes the output back itself, as it does on a terminal (direct-tty.ts). Linux names
 * another process's open pipe `/proc/PID/fd/N`, and opening that name opens the same pipe. Only pipes
 * of this user are opened; anything else is refused and the CLI goes on doing the I/O itself.
 */
import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { Socket } from 'node:net';
import { ClawError, errorMessage } from '../core/errors.js';
import { directIo, type DirectTty } from './direct-tty.js';
import { PROCESS_PIPE_PATH } from '../protocol/terminal-device.js';

/**
 * Opens the pipes at `input` (read) and `output` (write) for direct I/O.
 * @throws ClawError('BAD_ARGUMENT') when either is not a pipe of this user, or cannot be opened.
 */
export function openDirectPipes(input: string, output: string): DirectTty {
  for (const path of [input, output]) {
    if (!PROCESS_PIPE_PATH.test(path))
      throw new ClawError('BAD_ARGUMENT', `'${path}' is not a process's pipe`);
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (process.platform !== 'linux' || uid === undefined)
    throw new ClawError('BAD_ARGUMENT', 'direct I/O on pipes needs Linux');
  const fds: number[] = [];
  try {
    // O_NONBLOCK: opening a pipe's read side does not wait for a writer, nor its write side fail for
    // want of a reader; and the new open file is ours alone, so the CLI's own stays as it was.
    // What the names lead to is looked at before anything is opened, and again once it is.
    for (const path of [input, output]) pipeOfUser(statSync(path), path, uid);
    const flags = constants.O_NOCTTY | constants.O_NONBLOCK;
    fds.push(openSync(input, constants.O_RDONLY | flags));
    fds.push(openSync(output, constants.O_WRONLY | flags));
    for (const [i, fd] of fds.entries()) pipeOfUser(fstatSync(fd), i === 0 ? input : output, uid);
    // A pipe is a stream libuv reads and writes without blocking; each socket owns its file from here.
    const reader = new Socket({ fd: fds[0]!, readable: true, writable: false });
    const writer = new Socket({ fd: fds[1]!, readable: false, writable: true });
    fds.length = 0;
    reader.pause();
    return directIo(reader, writer);
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    throw err instanceof ClawError
      ? err
      : new ClawError('BAD_ARGUMENT', `cannot open the pipes ${input} and ${output}: ${errorMessage(err)}`);
  }
}

/** @throws ClawError('BAD_ARGUMENT') unless `stat` is a pipe that `uid` owns. */
function pipeOfUser(stat: Stats, path: string, uid: number): void {
  if (!stat.isFIFO() || stat.uid !== uid)
    throw new ClawError('BAD_ARGUMENT', `'${path}' is not a pipe of this user`);
}
