/**
 * Starts the commands the start-up rows time and times them itself (bench/command-timer.ts), so the
 * bench's own process is not part of the figure. Timed from there, `clawbridge term b -- true` read
 * 215 and 219 ms in the broadband section of two full runs, 163 ms with the section run alone and
 * 174 ms from this process in a full run (`ssh host true` likewise). The bench's process is ~185 MB
 * resident by then, with V8's incremental marking off (ADR 0007: a major collection is one pause),
 * and a fork's cost grows with its parent's memory (~49 ms from a 1.1 GB process here, 1.5 ms from a
 * 44 MB one): which of the two cost the ~45 ms was not pinned down; neither is part of the command.
 * A person's shell is small; so is this process.
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
