/**
 * Starts the commands the start-up rows time and times them itself (bench/command-timer.ts). A child
 * of its own because starting a program costs its parent a fork(2) whose price grows with the
 * parent's memory: from the bench's own process, which has moved gigabytes by the time the emulated
 * sections run (1.1 GB resident cost every spawn ~49 ms here, against 1.5 ms from a 44 MB process),
 * `clawbridge term b -- true` and `ssh host true` both read ~55 ms slower, which is no part of either
 * and bends their ratio. A person's shell is small; so is this process.
 */
import { spawn } from 'node:child_process';
import { serveParent } from './child.js';

/** Characters of the command's stderr kept for an error message. */
const STDERR_TAIL_CHARS = 2000;

serveParent(
  async (req) => {
    if (req.op !== 'run') throw new Error(`unknown op ${req.op}`);
    const file = String(req.file);
    const args = (req.args as unknown[]).map(String);
    const what = String(req.what);
    const timeoutMs = Number(req.timeoutMs);
    const t0 = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr
      .setEncoding('utf8')
      .on('data', (c: string) => (stderr = (stderr + c).slice(-STDERR_TAIL_CHARS)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    }).finally(() => clearTimeout(timer));
    const ms = performance.now() - t0;
    if (timedOut) throw new Error(`${what} took longer than ${timeoutMs} ms`);
    if (code !== 0)
      throw new Error(`${what} failed (${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
    return { ms };
  },
  { tuneGc: false },
);
