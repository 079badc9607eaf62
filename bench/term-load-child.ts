/**
 * The load of `term-echo-load`, in its own process (bench/child.ts): a second `clawbridge term b`
 * session whose remote program prints base64 of random data without end, its output read and counted
 * here so that reading it costs the measuring process nothing. `start` launches it, `bytes` says how
 * much output arrived so far, `stop` ends the CLI by its PID. The CLI is also ended when `maxMs` pass
 * and when this process exits, so the load is bounded in time whatever the parent does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { serveParent } from './child.js';
import { EXIT_GRACE_MS } from './processes.js';

/** The remote load: ~1.35 MB of base64 per round, as fast as the PTY and the session carry it. */
export const LOAD_COMMAND = ['sh', '-c', 'while :; do head -c 1000000 /dev/urandom | base64; done'];

/** What `bytes` and `stop` answer. */
export interface LoadProgress {
  /** Output bytes the CLI wrote to its stdout so far. */
  bytes: number;
  /** Time from the first output byte to now (or to the stop), in ms; 0 before any output. */
  ms: number;
  /** The CLI's exit status when it already ended, with the tail of its stderr. */
  exited?: string;
}

let cli: ChildProcess | undefined;
let bytes = 0;
let firstAt = 0;
let stoppedAt = 0;
let stderr = '';
let exited: string | undefined;

function progress(): LoadProgress {
  const end = stoppedAt || performance.now();
  return { bytes, ms: firstAt ? end - firstAt : 0, ...(exited ? { exited } : {}) };
}

function running(p: ChildProcess | undefined): p is ChildProcess & { pid: number } {
  return p?.pid !== undefined && p.exitCode === null && p.signalCode === null;
}

function stopCli(): void {
  if (!stoppedAt) stoppedAt = performance.now();
  if (running(cli)) process.kill(cli.pid, 'SIGTERM');
}

/** Ends the CLI and waits until it exited (SIGKILL after EXIT_GRACE_MS). */
async function stopAndWait(): Promise<void> {
  const p = cli;
  if (!running(p)) return stopCli();
  const gone = new Promise((r) => p.once('exit', r));
  stopCli();
  const timer = setTimeout(() => running(p) && process.kill(p.pid, 'SIGKILL'), EXIT_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

process.on('exit', () => running(cli) && process.kill(cli.pid, 'SIGKILL'));

serveParent(async (req) => {
  switch (req.op) {
    case 'start': {
      if (cli) throw new Error('the load is already running');
      const args = [req.cli as string, 'term', 'b', '--home', req.home as string, '--', ...LOAD_COMMAND];
      // stdin stays open and silent: its end would send Ctrl-D to the remote side.
      cli = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      cli.stdout!.on('data', (c: Buffer) => {
        if (!firstAt) firstAt = performance.now();
        bytes += c.length;
      });
      cli.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-1000)));
      cli.once('exit', (code, signal) => {
        exited = `${signal ?? code}: ${stderr.trim() || '(no output)'}`;
      });
      setTimeout(stopCli, req.maxMs as number).unref();
      return {};
    }
    case 'bytes':
      return progress();
    case 'stop':
      await stopAndWait();
      return progress();
    default:
      throw new Error(`unknown op ${req.op}`);
  }
});
