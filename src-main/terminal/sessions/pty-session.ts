/**
 * One pseudo-terminal on the serving node (node-pty): the shell or a given command, its output as
 * Buffers, input, resize, pause/resume for flow control, and its exit status — reported only after its
 * last output byte, even when the process exits while output is paused.
 *
 * Two traps lose the tail of the output otherwise, both seen with `head -c 150000000 /dev/zero | base64`
 * behind a slow viewer: libuv reports end-of-file on a hang-up as soon as a read came back short — and
 * PTY reads always do (4095 bytes) — so up to a kernel buffer of output is never read; and node-pty
 * destroys a read side that has not closed 200 ms after the process was reaped, which a paused one
 * never does. See `drainAfterHangup` and `checkGone`.
 */
import { accessSync, closeSync, constants as fsConstants, openSync, readSync, statSync } from 'node:fs';
import { constants, homedir, userInfo } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as NodePty from 'node-pty';
import type { IPty } from 'node-pty';
import { ClawError } from '../../core/errors.js';
import { Emitter, type Disposer } from '../../core/emitter.js';
import type { ExitStatus } from '../../protocol/terminal-frames.js';
import { sessionTerminalType, TERMINAL_TYPE } from './terminal-type.js';

/**
 * How often a paused PTY checks whether its process has exited, in ms (25). node-pty destroys the
 * PTY's read side 200 ms after the process is reaped if it has not closed by then, and a paused read
 * side never closes: whatever output was still unread would be lost. Polling a quarter of the way into
 * that margin lets the session resume reading in time to take every byte.
 */
export const PTY_EXIT_POLL_MS = 25;

/**
 * node-pty, loaded by the first terminal rather than with the agent (ADR 0053): an agent that serves
 * no terminal keeps neither its JavaScript nor its native addon. Loaded with `require` (it is CommonJS)
 * so that spawning stays synchronous.
 */
let nodePty: typeof NodePty | undefined;
function ptyModule(): typeof NodePty {
  nodePty ??= createRequire(import.meta.url)('node-pty') as typeof NodePty;
  return nodePty;
}

/** How long a hung-up process may take to exit before it is killed, in ms (3 s). */
export const PTY_KILL_GRACE_MS = 3_000;

/** Largest read when draining a hung-up PTY, in bytes (64 KiB, what libuv reads at a time). */
const DRAIN_READ_BYTES = 64 * 1024;

/**
 * Most reads when draining a hung-up PTY: the kernel holds at most a few of its buffers (64 KiB flip
 * buffers + 4 KiB line buffer) once the writer is gone; the bound only guards against a surprise.
 */
const MAX_DRAIN_READS = 256;

/** The byte a terminal sends for Ctrl-D (VEOF). */
const EOF_CHAR = 0x04;

/**
 * Longest a hang-up waits for an input write in flight before it closes the PTY anyway, in ms. A write
 * takes microseconds, but it runs on libuv's thread pool, which a busy machine's file work can hold
 * for longer than 100 ms; a hang-up is no hurry, a stray EBADF line on the agent's stderr is noise.
 */
const HANGUP_WRITE_WAIT_MS = 1000;

/** Output bytes gathered from one event-loop turn before they are handed on in one piece (64 KiB). */
const COALESCE_BYTES = 64 * 1024;

/** Environment variables of the agent's own terminal that would mislead programs in the new one. */
const INHERITED_NOISE = ['TMUX', 'TMUX_PANE', 'STY', 'WINDOW', 'WINDOWID', 'TERMCAP', 'COLUMNS', 'LINES'];

/** The program a session runs when no command is given: `$SHELL`, else the platform's default shell. */
export function defaultShell(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32') return 'powershell.exe';
  return env.SHELL && env.SHELL.length > 0 ? env.SHELL : '/bin/sh';
}

/**
 * Shells that take `-l` for a login shell. A session without a command runs one, as ssh and macOS's
 * Terminal do: it reads the login profile (/etc/profile, ~/.profile, ~/.bash_profile, ~/.zprofile…),
 * where PATH and the like are set up. An agent started by a service manager has a minimal environment,
 * and a shell that only inherited it would lack ~/.local/bin and the rest.
 */
const LOGIN_FLAG_SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'fish', 'tcsh', 'csh']);

/** argv of a session without a command: the default shell, as a login shell where it takes `-l`. */
export function defaultShellArgv(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const shell = defaultShell(platform, env);
  const name = shell.split(/[\\/]/).pop() ?? shell;
  return platform !== 'win32' && LOGIN_FLAG_SHELLS.has(name) ? [shell, '-l'] : [shell];
}

/** Who the agent runs as, from the account database (passwd). */
export interface Account {
  username: string;
  homedir: string;
  shell: string | null;
}

function thisAccount(): Account | null {
  try {
    return userInfo();
  } catch {
    return null; // a uid without a passwd entry (some containers)
  }
}

/**
 * The environment of the new terminal: the agent's, minus its own terminal's traces, TERM set, and
 * HOME, USER, LOGNAME and SHELL from the account where the agent's own environment lacks them, as
 * sshd sets them: an agent started by systemd or cron has next to no environment, and a shell without
 * HOME cannot find its own profile.
 */
export function terminalEnv(
  env: NodeJS.ProcessEnv = process.env,
  term: string = TERMINAL_TYPE,
  /** Null: no account entry to take them from. */
  account: Account | null = thisAccount(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !INHERITED_NOISE.includes(k)) out[k] = v;
  out.TERM = term;
  if (account && process.platform !== 'win32') {
    const fill = (key: string, value: string | null) => {
      if (!out[key] && value) out[key] = value;
    };
    fill('HOME', account.homedir);
    fill('USER', account.username);
    fill('LOGNAME', account.username);
    fill('SHELL', account.shell);
  }
  return out;
}

/** The exit status a POSIX shell gives a command it cannot find. */
export const COMMAND_NOT_FOUND_STATUS = 127;
/** The exit status a POSIX shell gives a command it found but cannot run (not executable, a directory). */
export const COMMAND_NOT_EXECUTABLE_STATUS = 126;

/**
 * A command that cannot be started fails as in a shell, with one line naming it: 127 when it is not
 * there, 126 when it is there but cannot be run. Otherwise node-pty's child would report
 * `execvp(3) failed.: No such file or directory` and exit 1.
 * @returns a /bin/sh command line that prints the line and exits so, or undefined when `command` can
 *   be started (or on Windows, where node-pty reports a missing program itself)
 */
export function unstartableLikeAShell(
  command: string[] | undefined,
  cwd: string,
  env: Record<string, string>,
): string[] | undefined {
  const file = command?.[0];
  if (file === undefined || process.platform === 'win32') return undefined;
  const path = env.PATH ?? '';
  if (findExecutable(file, cwd, path) !== undefined) return undefined;
  const [why, status] = whyNotRunnable(file, cwd, path);
  return ['/bin/sh', '-c', `printf 'clawbridge: %s: ${why}\\n' "$1" >&2; exit ${status}`, 'sh', file];
}

/** Why execvp would fail on `file` that findExecutable did not find, in a shell's words, and the status. */
function whyNotRunnable(file: string, cwd: string, path: string): [string, number] {
  const candidates = file.includes('/')
    ? [isAbsolute(file) ? file : resolve(cwd, file)]
    : path.split(delimiter).map((dir) => join(dir === '' ? cwd : dir, file));
  for (const candidate of candidates) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(candidate).isDirectory();
    } catch {
      continue;
    }
    // A directory on PATH with the command's name is skipped by execvp; named by its path, it fails.
    if (isDirectory && !file.includes('/')) continue;
    return [isDirectory ? 'is a directory' : 'permission denied', COMMAND_NOT_EXECUTABLE_STATUS];
  }
  return [file.includes('/') ? 'no such file or directory' : 'command not found', COMMAND_NOT_FOUND_STATUS];
}

/** Where execvp would find `file`: the path itself when it has a slash, else the first match on PATH. */
export function findExecutable(file: string, cwd: string, path: string): string | undefined {
  // A directory has its x bit too, but execvp cannot run it.
  const executable = (candidate: string) => {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return !statSync(candidate).isDirectory();
    } catch {
      return false;
    }
  };
  if (file === '') return undefined;
  if (file.includes('/')) {
    const full = isAbsolute(file) ? file : resolve(cwd, file);
    return executable(full) ? full : undefined;
  }
  // An empty PATH entry means the current directory, as for execvp.
  return path
    .split(delimiter)
    .map((dir) => join(dir === '' ? cwd : dir, file))
    .find(executable);
}

function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : `SIG${n}`;
}

export interface PtySpawnOptions {
  /** argv to run; the default shell when absent. */
  command?: string[] | undefined;
  cols: number;
  rows: number;
  /** Working directory (default: the agent user's home). */
  cwd?: string;
  env?: Record<string, string>;
  /** The viewer's terminal type; used when this host has its terminfo (terminal-type.ts). */
  term?: string | undefined;
  /** False: the viewer's input is a pipe; the PTY does not echo it (withPtyModes). */
  echo?: boolean | undefined;
  /** False: the viewer's output is a pipe or a file; the PTY does no output processing. */
  opost?: boolean | undefined;
}

/**
 * argv that first sets the PTY's modes, then runs `argv`: with `echo: false` the PTY does not echo
 * input that came from a pipe into the output, with `opost: false` it does not turn each "\n" into
 * "\r\n" (so `term PEER -- cat FILE > COPY` copies the file as it is); on Linux it always turns on
 * IUTF8, as ssh does for a UTF-8 client: without it, Backspace in line input erases one byte of a
 * multi-byte character and leaves the rest (`read`, password prompts, `cat > file`), and every viewer
 * sends UTF-8 (terminals today, xterm.js).
 * POSIX: `stty` in a /bin/sh that then execs the program, so the modes are set before it starts. Until
 * this release IUTF8 was set by a second `stty` started beside the program; it raced a program that sets
 * its own modes at once (vim, less, `stty raw -echo`): read-modify-write of the whole termios, it could
 * undo the program's raw mode, or make the program's stty fail (seen in the bench). The script is fixed
 * and the program's argv are its positional arguments, never part of it. Unchanged when no mode is
 * asked for (macOS and others), and on Windows. Pure.
 */
export function withPtyModes(
  argv: string[],
  modes: { echo?: boolean | undefined; opost?: boolean | undefined },
  platform: NodeJS.Platform = process.platform,
): string[] {
  const flags = [...(modes.echo === false ? ['-echo'] : []), ...(modes.opost === false ? ['-opost'] : [])];
  if (platform === 'linux') flags.push('iutf8');
  if (flags.length === 0 || platform === 'win32') return argv;
  return ['/bin/sh', '-c', `stty ${flags.join(' ')} 2>/dev/null; exec "$@"`, 'sh', ...argv];
}

type Events = { data: [Buffer]; exit: [ExitStatus] };

/** node-pty's Unix internals it does not expose: its write queue (`inputQueued`), the master fd and its read stream (`drainAfterHangup`). */
interface PtyInternals {
  _writeStream?: {
    _writeQueue?: { buffer: Buffer; offset: number }[];
    /** A retry of a write the kernel refused (EAGAIN), due on the next turn: none is in flight then. */
    _writeImmediate?: NodeJS.Immediate;
  };
  _fd?: number;
  _socket?: { on(event: 'end', listener: () => void): void };
  /** The terminal side's path (/dev/pts/N). */
  _pty?: string;
  /** Set to true when node-pty reaps the process while the read side is still open. */
  _boundClose?: boolean;
}

export class PtySession {
  private readonly events = new Emitter<Events>();
  private paused = false;
  /** The process is gone: read everything that is left, pause no more. */
  private draining = false;
  private exited = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private flushScheduled = false;
  /** This agent's own fd on the terminal side, held until the process is reaped (holdTerminalSide). */
  private terminalSide: number | undefined;

  private constructor(private readonly pty: IPty) {
    this.holdTerminalSide();
    // With `encoding: null` node-pty hands out Buffers; its typings only know strings.
    pty.onData((chunk) => this.gather(chunk as unknown as Buffer));
    (pty as unknown as PtyInternals)._socket?.on('end', () => this.drainAfterHangup());
    pty.onExit(({ exitCode, signal }) => {
      this.releaseTerminalSide();
      this.exited = true;
      this.stopPolling();
      clearTimeout(this.killTimer);
      this.flush();
      this.events.emit('exit', signal ? { signal: signalName(signal) } : { code: exitCode >>> 0 });
    });
  }

  /**
   * Starts the command (or the default shell) in a new PTY.
   * @throws ClawError('BAD_ARGUMENT') when the PTY cannot be created.
   */
  static spawn(opts: PtySpawnOptions): PtySession {
    const term = sessionTerminalType(opts.term);
    const env = opts.env ?? terminalEnv(process.env, term);
    // The session's HOME (filled in from the account when the agent's was empty), as sshd starts there.
    const cwd = opts.cwd ?? (env.HOME || homedir());
    const argv =
      unstartableLikeAShell(opts.command, cwd, env) ??
      opts.command ??
      defaultShellArgv(process.platform, env);
    const withModes = withPtyModes(argv, opts);
    const [file, ...args] = withModes;
    try {
      const pty = ptyModule().spawn(file!, args, {
        name: term,
        cols: opts.cols,
        rows: opts.rows,
        cwd,
        env,
        encoding: null,
      });
      return new PtySession(pty);
    } catch (err) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `cannot start ${file ?? 'a shell'} in a terminal: ${(err as Error).message}`,
      );
    }
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Output, in order; a 'data' may still arrive in the turn after `pause()`. */
  onData(listener: (chunk: Buffer) => void): Disposer {
    return this.events.on('data', listener);
  }

  /** The process ended; fires once, after the last 'data'. */
  onExit(listener: (status: ExitStatus) => void): Disposer {
    return this.events.on('exit', listener);
  }

  write(data: Uint8Array): void {
    if (!this.exited) this.pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** End of input: Ctrl-D, which a program reading the terminal in line mode takes as end-of-file. */
  endInput(): void {
    this.write(Buffer.of(EOF_CHAR));
  }

  /**
   * Input bytes node-pty still queues for the PTY (a program that does not read its input makes this
   * grow); 0 where node-pty keeps no queue of its own (Windows).
   */
  get inputQueued(): number {
    const queue = (this.pty as unknown as PtyInternals)._writeStream?._writeQueue;
    return queue ? queue.reduce((n, t) => n + t.buffer.length - t.offset, 0) : 0;
  }

  /** The terminal's size now: what it was started at, or the last resize (node-pty keeps it). */
  get size(): { cols: number; rows: number } {
    return { cols: this.pty.cols, rows: this.pty.rows };
  }

  resize(cols: number, rows: number): void {
    if (this.exited) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      // The PTY closed between the exit check and the ioctl; nothing to resize.
    }
  }

  /** Stops reading output, so the kernel buffer fills and the process blocks on its next write. */
  pause(): void {
    if (this.paused || this.draining || this.exited) return;
    this.paused = true;
    this.pty.pause();
    this.pollTimer = setInterval(() => this.checkGone(), PTY_EXIT_POLL_MS);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.stopPolling();
    this.pty.resume();
  }

  /** Hangs up: closes the PTY (SIGHUP to its processes), then SIGKILL if the process lingers. */
  hangup(): void {
    if (this.exited) return;
    this.releaseTerminalSide();
    const destroy = (this.pty as unknown as { destroy?: () => void }).destroy;
    if (typeof destroy === 'function') this.afterWriteInFlight(() => destroy.call(this.pty));
    else this.pty.kill();
    this.killTimer ??= setTimeout(() => {
      if (!this.exited && process.platform !== 'win32') this.pty.kill('SIGKILL');
    }, PTY_KILL_GRACE_MS);
    this.killTimer.unref();
  }

  /**
   * Runs `close` (which closes the PTY's fd) once no input write is in flight, dropping the input still
   * queued: node-pty writes on the thread pool, and a write that finds its fd closed is printed to the
   * agent's stderr ("Unhandled pty write error … EBADF"), a line per session left with input in flight.
   * At most HANGUP_WRITE_WAIT_MS: a write is in flight for microseconds, unless the thread pool is busy.
   */
  private afterWriteInFlight(close: () => void, deadline = Date.now() + HANGUP_WRITE_WAIT_MS): void {
    const stream = (this.pty as unknown as PtyInternals)._writeStream;
    const queue = stream?._writeQueue;
    // Nothing queued, or only a retry waiting for its turn (nothing in flight): drop it and close now.
    if (!stream || !queue || queue.length === 0 || stream._writeImmediate || Date.now() >= deadline) {
      if (stream?._writeImmediate) clearImmediate(stream._writeImmediate);
      if (queue) queue.length = 0;
      return close();
    }
    queue.length = 1; // the write in flight; what waits behind it is never sent
    setImmediate(() => this.afterWriteInFlight(close, deadline));
  }

  /**
   * The read side reported end-of-file: every byte it read is out (end comes after the last 'data'),
   * but libuv may have stopped short on the hang-up. Read the rest straight from the master fd (still
   * open: it closes after 'end') until the kernel says EIO — the slave side is closed, so it never blocks.
   */
  private drainAfterHangup(): void {
    const fd = (this.pty as unknown as PtyInternals)._fd;
    if (typeof fd !== 'number') return;
    const buf = Buffer.allocUnsafe(DRAIN_READ_BYTES);
    for (let i = 0; i < MAX_DRAIN_READS; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EIO: drained (or EAGAIN/EBADF: nothing more to take)
      }
      if (n <= 0) return;
      this.gather(Buffer.from(buf.subarray(0, n)));
    }
  }

  /**
   * Keeps the terminal side of the PTY open here until the process is reaped, as sshd does. A program
   * that closes its terminal just before it exits (cat and head do) would otherwise make the master
   * read end-of-file; node-pty then closes the master at once, and the kernel hangs the terminal up
   * with SIGHUP to a program that was exiting normally: "ended by SIGHUP", exit 129, in a race that
   * a busy machine loses one time in ten. node-pty sets `_boundClose` the moment it reaps the process
   * (its read side still open): letting go then ends the read side at once, after every byte.
   */
  private holdTerminalSide(): void {
    const internals = this.pty as unknown as PtyInternals;
    if (process.platform === 'win32' || typeof internals._pty !== 'string' || internals._boundClose !== false)
      return;
    try {
      this.terminalSide = openSync(internals._pty, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
    } catch {
      return; // as before: node-pty alone
    }
    let bound = false;
    Object.defineProperty(internals, '_boundClose', {
      configurable: true,
      enumerable: true,
      get: () => bound,
      set: (value: boolean) => {
        bound = value;
        if (value) this.releaseTerminalSide();
      },
    });
  }

  private releaseTerminalSide(): void {
    if (this.terminalSide === undefined) return;
    const fd = this.terminalSide;
    this.terminalSide = undefined;
    try {
      closeSync(fd);
    } catch {
      // already gone with the PTY
    }
  }

  private checkGone(): void {
    try {
      process.kill(this.pty.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') return;
      // Reaped: what is left in the PTY is bounded by the kernel's buffer; read on to the hang-up
      // (and drainAfterHangup) before node-pty's 200 ms timer destroys the read side.
      this.draining = true;
      this.resume();
    }
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /**
   * PTY reads are small (a line-buffered program writes line by line); the reads of one event-loop
   * turn go on as one chunk, so each hop frames and encrypts fewer, larger pieces.
   */
  private gather(chunk: Buffer): void {
    this.gathered.push(chunk);
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes >= COALESCE_BYTES) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    if (this.gatheredBytes === 0) return;
    const chunk = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered);
    this.gathered = [];
    this.gatheredBytes = 0;
    this.events.emit('data', chunk);
  }
}
