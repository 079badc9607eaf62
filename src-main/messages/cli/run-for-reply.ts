/**
 * `msg serve`'s command: run once per message, with no shell, the body on its stdin, its stdout the
 * reply. Its output is bounded (a reply is at most 1 MiB; stderr is kept to its last 4 KiB, enough
 * for why it failed) and so is its time, so one stuck or chatty command cannot stop the serving.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ClawError } from '../../core/errors.js';
import { seconds } from '../client/message-bodies.js';
import { MAX_MESSAGE_BODY_BYTES } from '../../protocol/message-frames.js';

/** Most bytes of a failed command's stderr its error reply quotes (the last ones). */
export const STDERR_TAIL_BYTES = 4096;

/** Commands running now: `stopRunning` ends them, their own children too. */
const running = new Set<ChildProcess>();

/**
 * Signals a command and everything it started. On POSIX each command leads a process group of its
 * own (spawned detached), so `sh -c 'sleep 30 & …'` is reached as a whole; elsewhere, the command.
 */
function signalAll(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // Gone already.
  }
}

/**
 * Ends every command running now and what each started (`msg serve` stopped by a signal): a server
 * that is gone leaves nothing of its work behind.
 */
export function stopRunning(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of running) signalAll(child, signal);
}

/** How a run ended. */
export type RunOutcome =
  | { ok: true; stdout: Buffer }
  /** `why` is the error reply's text: the exit status or signal, and the end of stderr. */
  | { ok: false; why: string };

/**
 * The program `command` names, found as the system would run it: a path as it is, a bare name in
 * PATH. Checked once when `serve` starts, so a typo fails at once rather than on every message.
 * @throws ClawError('BAD_ARGUMENT') when there is no such program (or it may not be run)
 */
export function checkProgram(command: string, env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'win32') return; // PATHEXT and friends: left to spawn
  const runnable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    if (runnable(command)) return;
    throw new ClawError('BAD_ARGUMENT', `cannot run '${command}': no such program, or not executable`);
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  if (dirs.some((dir) => runnable(join(dir, command)))) return;
  throw new ClawError('BAD_ARGUMENT', `cannot run '${command}': no such program in PATH`);
}

/** The words for how a command ended: `exit status 3`, `killed by SIGKILL`. */
export function endedWith(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit status ${code ?? 'unknown'}`;
}

/**
 * Runs `command` with `args` (no shell), writes `input` to its stdin and closes it, and collects its
 * stdout. Exit 0 is a reply; anything else, a timeout or output past 1 MiB is an error with why.
 */
export function runForReply(
  command: string,
  args: readonly string[],
  input: Uint8Array,
  timeoutMs: number,
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    // Its own process group (detached), so a stop or a timeout reaches what it started too.
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      detached: process.platform !== 'win32',
    });
    running.add(child);
    const out: Buffer[] = [];
    let outBytes = 0;
    let errTail = Buffer.alloc(0);
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      signalAll(child, 'SIGKILL');
    };
    const timer = setTimeout(() => stop(`no answer within ${seconds(timeoutMs)}`), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_MESSAGE_BODY_BYTES) return stop('its output passed 1 MiB, the most a reply holds');
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errTail = Buffer.concat([errTail, chunk]);
      if (errTail.length > STDERR_TAIL_BYTES) errTail = errTail.subarray(errTail.length - STDERR_TAIL_BYTES);
    });
    // A command that reads no input (`date`) closes its stdin early: EPIPE then is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ ok: false, why: `cannot run '${command}': ${err.code ?? err.message}` });
    });
    // Once stopped, the answer cannot wait for 'close': a command's own children (`sh -c 'sleep 30'`)
    // outlive the kill and hold its pipes open, which held the reply until they ended.
    child.on('exit', () => {
      running.delete(child);
      if (stopped === undefined) return;
      child.stdout.destroy();
      child.stderr.destroy();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (stopped === undefined && code === 0) return resolve({ ok: true, stdout: Buffer.concat(out) });
      const stderr = errTail.toString('utf8').trimEnd();
      const how = stopped ?? endedWith(code, signal);
      resolve({ ok: false, why: stderr ? `${how}: ${stderr}` : how });
    });
  });
}
