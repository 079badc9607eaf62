/**
 * A program run in a terminal of its own (node-pty), as a person runs it, to its end: what the
 * terminal showed. For CLI output that depends on being on a terminal (widths, colours, prompts).
 */
import { spawn as spawnPty } from 'node-pty';

export interface PtyRunOptions {
  /** The terminal's width in columns (default 100). */
  cols?: number;
  env?: NodeJS.ProcessEnv;
  /** Give up (and kill it) after this many ms (default 30 s). */
  timeoutMs?: number;
}

/** Runs `file args` in a fresh PTY until it exits; resolves with everything the PTY showed. */
export function runInPty(file: string, args: readonly string[], opts: PtyRunOptions = {}): Promise<string> {
  const { cols = 100, env = process.env, timeoutMs = 30_000 } = opts;
  return new Promise((resolve, reject) => {
    const pty = spawnPty(file, [...args], { cols, rows: 30, env });
    let seen = '';
    const timer = setTimeout(() => {
      pty.kill('SIGKILL');
      reject(new Error(`the PTY did not finish in ${timeoutMs} ms; it showed ${JSON.stringify(seen)}`));
    }, timeoutMs);
    pty.onData((d) => (seen += d));
    pty.onExit(() => {
      clearTimeout(timer);
      resolve(seen);
    });
  });
}
