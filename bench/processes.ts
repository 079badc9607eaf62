/**
 * Plain programs the bench starts (sshd, ssh, the built `clawbridge` CLI): started with their output
 * captured (the tail is kept for error messages), waited on for a line, and ended by their PID only
 * (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { onAbort } from './on-abort.js';
import { logFailure } from '../src-main/core/background.js';

/** Characters of each output stream kept for error messages. */
const OUTPUT_TAIL_CHARS = 16_000;
/** How long a process gets to exit after SIGTERM before SIGKILL, in ms. */
export const EXIT_GRACE_MS = 3_000;

/** A program the bench started, with the tails of its stdout and stderr. */
export interface Launched {
  readonly proc: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /**
   * Resolves with the first match of `pattern` in stdout (seen so far or later); rejects when the
   * program exits first or `ms` pass.
   */
  readonly waitFor: (pattern: RegExp, ms: number, what: string) => Promise<RegExpMatchArray>;
}

/** Starts `cmd args` with stdin ignored and both outputs read (a full pipe would stall the program). */
export function launch(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Launched {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  endOnAbort(proc);
  let out = '';
  let err = '';
  // Everything seen, for waitFor: startup lines are short, so this stays small until the first match.
  let seen = '';
  const watchers = new Set<() => void>();
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    out = (out + c).slice(-OUTPUT_TAIL_CHARS);
    seen = (seen + c).slice(-OUTPUT_TAIL_CHARS);
    for (const w of [...watchers]) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-OUTPUT_TAIL_CHARS)));
  proc.on('error', (e) => (err += `\n${e.message}`));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    waitFor: (pattern, ms, what) =>
      new Promise((resolve, reject) => {
        const done = (e: Error | undefined, m?: RegExpMatchArray) => {
          watchers.delete(check);
          proc.off('exit', onExit);
          clearTimeout(timer);
          if (e) reject(e);
          else resolve(m!);
        };
        const check = () => {
          const m = pattern.exec(seen);
          if (m) done(undefined, m);
        };
        const onExit = (code: number | null, signal: string | null) =>
          done(new Error(`${what} exited (${signal ?? code}) before it was ready: ${tail(err)}`));
        const timer = setTimeout(
          () => done(new Error(`${what} was not ready within ${ms} ms: ${tail(err)}`)),
          ms,
        );
        watchers.add(check);
        proc.once('exit', onExit);
        check();
        if (proc.exitCode !== null || proc.signalCode !== null) onExit(proc.exitCode, proc.signalCode);
      }),
  };
}

/** Where `cmd` is on the PATH, or undefined when it is not there. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

/** SIGTERMs `proc` if the bench is stopped by a signal while it runs (bench/on-abort.ts). */
export function endOnAbort(proc: ChildProcess): void {
  if (proc.pid === undefined) return;
  const pid = proc.pid;
  const forget = onAbort(() => process.kill(pid, 'SIGTERM'));
  proc.once('exit', forget);
}

/** The last line or so of some output, for a one-line error message. */
export function tail(text: string, chars = 300): string {
  const t = text.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > chars ? `…${t.slice(-chars)}` : t || '(no output)';
}

/** Ends a process this bench started by its PID (SIGTERM, then SIGKILL) and waits until it exited. */
export async function killByPid(proc: ChildProcess | undefined): Promise<void> {
  if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
  const pid = proc.pid;
  const exited = new Promise((r) => proc.once('exit', r));
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
  }, EXIT_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs `cmd args` to its end and resolves with its stdout (up to the kept tail); rejects with the tail of stderr when it
 * fails or takes longer than `timeoutMs` (then it is ended by its PID).
 */
export async function runToEnd(
  cmd: string,
  args: string[],
  timeoutMs: number,
  what: string,
): Promise<string> {
  const p = launch(cmd, args);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killByPid(p.proc).catch(logFailure(console, 'killByPid'));
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => {
    p.proc.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  if (timedOut) throw new Error(`${what} took longer than ${timeoutMs} ms`);
  if (code !== 0) throw new Error(`${what} failed (${code}): ${tail(p.stderr())}`);
  return p.stdout();
}
