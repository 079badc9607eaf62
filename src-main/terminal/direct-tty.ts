/**
 * The CLI's own terminal, opened by its agent for direct terminal I/O (ADR 0037): `clawbridge term` names
 * the terminal it runs in, and the agent reads the keys and writes the output there itself, so each
 * keystroke and its echo cross one process fewer. Only a terminal device of this user is opened (the
 * control socket that carries the request is this user's alone); anything else is refused and the CLI
 * goes on doing the I/O as before.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { isatty, ReadStream, WriteStream } from 'node:tty';
import { ClawError, errorMessage } from '../core/errors.js';
import { TERMINAL_DEVICE_PATH } from '../protocol/terminal-device.js';

/** Output queued for the terminal above which `write` says to wait for `onDrain` (256 KiB). */
const OUTPUT_HIGH_WATER = 256 * 1024;

export interface DirectTty {
  /** Typed bytes go to `listener` once `resumeInput` was called. */
  onInput(listener: (bytes: Buffer) => void): void;
  pauseInput(): void;
  resumeInput(): void;
  /** Writes output; false once more than OUTPUT_HIGH_WATER waits (then wait for onDrain). */
  write(bytes: Uint8Array): boolean;
  onDrain(listener: () => void): void;
  /** Resolves once all output reached the terminal, or after `maxMs`. */
  flushed(maxMs: number): Promise<void>;
  /** Input ended (a pipe's writers all closed it; a terminal does not end). */
  onInputEnd(listener: () => void): void;
  /** Writing failed (EPIPE: a pipe's reader went away); nothing more is written. */
  onOutputError(listener: (err: NodeJS.ErrnoException) => void): void;
  /** Why writing failed, once it did (also after close). */
  outputFailure(): NodeJS.ErrnoException | undefined;
  /** Stops reading and writing; the terminal itself stays as it is (the CLI restores its modes). */
  close(): void;
  /** Resolves once close() let go of the files: a stream closes its file on a later turn, not in close(). */
  whenClosed(): Promise<void>;
}

/** The uid that owns a terminal we may open: this process's (POSIX only). */
function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Opens the terminal at `path` for direct I/O.
 * @throws ClawError('BAD_ARGUMENT') when `path` is not a terminal device of this user, or cannot be opened.
 */
export function openDirectTty(path: string): DirectTty {
  if (!TERMINAL_DEVICE_PATH.test(path))
    throw new ClawError('BAD_ARGUMENT', `'${path}' is not a terminal device path`);
  const uid = ownUid();
  if (uid === undefined) throw new ClawError('BAD_ARGUMENT', 'direct terminal I/O needs a POSIX system');
  const fds: number[] = [];
  const closeFds = () => {
    for (const fd of fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // Already closed with its stream.
      }
    }
  };
  try {
    // O_NOCTTY: never the agent's controlling terminal. O_NONBLOCK: a stopped terminal (Ctrl-S) must
    // not stall the agent; libuv queues what the terminal does not take at once.
    const flags = constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK;
    for (let i = 0; i < 2; i++) fds.push(openSync(path, flags));
    const stat = fstatSync(fds[0]!);
    if (!stat.isCharacterDevice() || !isatty(fds[0]!) || stat.uid !== uid) {
      throw new ClawError('BAD_ARGUMENT', `'${path}' is not a terminal of this user`);
    }
    const input = new ReadStream(fds[0]!);
    const output = new WriteStream(fds[1]!);
    const handles = [input, output].map((stream) => (stream as unknown as { _handle?: TtyHandle })._handle);
    // libuv reopens a terminal by its name so its own file is non-blocking without touching others',
    // leaving our number a duplicate it does not close: closed here, so a session leaks none. A
    // handle that kept our number (no reopen) closes it itself.
    if (handles.some((h) => typeof h?.fd !== 'number')) {
      // Which numbers the streams own is unknown: leave them to the streams. Closing one they own
      // could close a file opened meanwhile under the same number.
      fds.length = 0;
      input.destroy();
      output.destroy();
      throw new ClawError('BAD_ARGUMENT', 'cannot tell which file the terminal streams use');
    }
    for (let i = fds.length - 1; i >= 0; i--) {
      if (handles[i]!.fd !== fds[i]) closeSync(fds[i]!);
      fds.splice(i, 1);
    }
    // tty.WriteStream makes its writes blocking, as a process's own stdout should be; in the agent a
    // blocked write would stop every link, so they go back to non-blocking (libuv queues the rest).
    if (typeof handles[1]?.setBlocking !== 'function' || handles[1].setBlocking(false) !== 0) {
      input.destroy();
      output.destroy();
      throw new ClawError('BAD_ARGUMENT', 'cannot write to the terminal without blocking');
    }
    return directIo(input, output);
  } catch (err) {
    closeFds();
    throw err instanceof ClawError
      ? err
      : new ClawError('BAD_ARGUMENT', `cannot open the terminal ${path}: ${errorMessage(err)}`);
  }
}

/** The parts of Node's TTY handle used here: the file it reads or writes, and its blocking mode. */
interface TtyHandle {
  fd?: number;
  setBlocking?: (on: boolean) => number;
}

/** Direct I/O on `input` and `output` (a terminal's, or pipes': direct-pipes.ts), which it then owns. */
export function directIo(input: Readable, output: Writable): DirectTty {
  let closed = false;
  /** Writes not yet handed to the terminal, and who waits for none to be left (flushed). */
  let pending = 0;
  const idle: (() => void)[] = [];
  // 'drain' only follows a write that returned false: the end of every write is counted instead.
  const written = () => {
    if (--pending === 0) for (const done of idle.splice(0)) done();
  };
  input.on('error', () => undefined);
  let failed: NodeJS.ErrnoException | undefined;
  const failures: ((err: NodeJS.ErrnoException) => void)[] = [];
  const fail = (err: NodeJS.ErrnoException) => {
    if (closed || failed) return;
    failed = err;
    for (const listener of failures) listener(err);
  };
  output.on('error', fail);
  const streamsClosed = Promise.all(
    [input, output].map((stream) => new Promise<void>((resolve) => stream.once('close', () => resolve()))),
  ).then(() => undefined);
  return {
    onInput: (listener) => void input.on('data', listener),
    pauseInput: () => void input.pause(),
    resumeInput: () => void (closed || input.resume()),
    write: (bytes) => {
      if (closed || failed) return true;
      pending++;
      // The failure is known before the last write counts as done: flushed() then reports it.
      output.write(bytes, (err?: Error | null) => {
        if (err) fail(err);
        written();
      });
      return output.writableLength <= OUTPUT_HIGH_WATER;
    },
    onDrain: (listener) => void output.on('drain', listener),
    onInputEnd: (listener) => void input.on('end', listener),
    onOutputError: (listener) => void failures.push(listener),
    outputFailure: () => failed,
    flushed: (maxMs) =>
      new Promise<void>((resolve) => {
        if (closed || pending === 0) return resolve();
        const timer = setTimeout(done, maxMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        idle.push(done);
      }),
    close: () => {
      if (closed) return;
      closed = true;
      input.destroy();
      output.destroy();
    },
    whenClosed: () => streamsClosed,
  };
}
