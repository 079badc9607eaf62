/**
 * A program run without a terminal (`pty: false` in OPEN, docs/protocol.md "Terminal service"), as
 * `ssh host cmd` runs one: stdin, stdout and stderr are pipes. Input reaches it byte for byte (a PTY
 * would turn Ctrl-C in piped data into SIGINT, "\r" into "\n", and could not say end-of-file in the
 * middle of a line), EOF closes its stdin, stdout and stderr come back apart, and the exit status is
 * reported after the last byte of both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import type { Readable } from 'node:stream';
import { ClawError } from '../../core/errors.js';
import { Emitter, type Disposer } from '../../core/emitter.js';
import type { ExitStatus, OutputChannel } from '../../protocol/terminal-frames.js';
import { defaultShellArgv, PTY_KILL_GRACE_MS, terminalEnv, unstartableLikeAShell } from './pty-session.js';

export interface PipeSpawnOptions {
  /** argv to run; the default shell (reading its commands from stdin) when absent. */
  command?: string[] | undefined;
  /** Working directory (default: the agent user's home). */
  cwd?: string;
  env?: Record<string, string>;
}

/** The environment of a program without a terminal: the agent's, minus any terminal's traces. */
export function pipeEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out = terminalEnv(env);
  delete out.TERM;
  return out;
}

type Events = { data: [Buffer, OutputChannel]; exit: [ExitStatus] };

export class PipeSession {
  private readonly events = new Emitter<Events>();
  private exited = false;
  private killTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly child: ChildProcess & { stdout: Readable; stderr: Readable }) {
    child.stdout.on('data', (chunk: Buffer) => this.events.emit('data', chunk, 'stdout'));
    child.stderr.on('data', (chunk: Buffer) => this.events.emit('data', chunk, 'stderr'));
    // A program that exits without reading all its input: the rest has nowhere to go. Errors on the
    // pipes or on signalling end in 'close' all the same; unheard, they would end the agent.
    child.stdin?.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.on('error', () => undefined);
    // 'close' comes after the process exited and both pipes ended: no output is left behind.
    child.on('close', (code, signal) => {
      this.exited = true;
      clearTimeout(this.killTimer);
      this.events.emit('exit', signal ? { signal } : { code: (code ?? 0) >>> 0 });
    });
  }

  /**
   * Starts the command (or the default shell) on pipes, in a process group of its own so a hang-up
   * reaches what it started too.
   * @throws ClawError('BAD_ARGUMENT') when the process cannot be started.
   */
  static spawn(opts: PipeSpawnOptions): PipeSession {
    const env = opts.env ?? pipeEnv();
    const cwd = opts.cwd ?? (env.HOME || homedir()); // as for a PTY session
    const [file, ...args] =
      unstartableLikeAShell(opts.command, cwd, env) ??
      opts.command ??
      defaultShellArgv(process.platform, env);
    const child = spawn(file!, args, {
      cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    if (child.pid === undefined || !child.stdout || !child.stderr) {
      // spawn() reports a failure to start asynchronously ('error'); the pid tells at once.
      child.on('error', () => undefined);
      throw new ClawError('BAD_ARGUMENT', `cannot start ${file ?? 'a shell'}`);
    }
    return new PipeSession(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Output, in the order each pipe delivered it; a 'data' may still arrive in the turn after `pause()`. */
  onData(listener: (chunk: Buffer, channel: OutputChannel) => void): Disposer {
    return this.events.on('data', listener);
  }

  /** The process ended and both pipes are drained; fires once, after the last 'data'. */
  onExit(listener: (status: ExitStatus) => void): Disposer {
    return this.events.on('exit', listener);
  }

  write(data: Uint8Array): void {
    const stdin = this.child.stdin;
    if (!this.exited && stdin && !stdin.writableEnded && !stdin.destroyed)
      stdin.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** No more input: closes the program's stdin once what was written is through. */
  endInput(): void {
    const stdin = this.child.stdin;
    if (stdin && !stdin.writableEnded) stdin.end();
  }

  /** Input bytes written but not yet taken by the pipe (a program that does not read makes this grow). */
  get inputQueued(): number {
    return this.child.stdin?.writableLength ?? 0;
  }

  /** Pipes have no window size. */
  readonly size = undefined;
  resize(): void {}

  /** Stops reading output, so the pipes fill and the program blocks on its next write. */
  pause(): void {
    this.child.stdout.pause();
    this.child.stderr.pause();
  }

  resume(): void {
    this.child.stdout.resume();
    this.child.stderr.resume();
  }

  /** Hangs up: SIGHUP to the program's process group, as a closed terminal would, then SIGKILL if it lingers. */
  hangup(): void {
    if (this.exited) return;
    this.child.stdin?.destroy();
    this.signal('SIGHUP');
    this.killTimer ??= setTimeout(() => {
      if (!this.exited) this.signal('SIGKILL');
    }, PTY_KILL_GRACE_MS);
    this.killTimer.unref();
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      if (process.platform === 'win32') this.child.kill(signal);
      else process.kill(-this.child.pid!, signal);
    } catch {
      // Already gone.
    }
  }
}
