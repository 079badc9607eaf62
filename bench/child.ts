/**
 * Bench child processes (bench/peer-child.ts, bench/relay-child.ts) and the tiny request/reply protocol
 * over Node's IPC channel both use. A measured far end runs in its own process so the two ends of a
 * path use two cores, as two machines (or ssh and sshd) would, and so a relay's RSS is its own.
 * Children are ended by their PID only, and end themselves when the parent goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tuneGcForBulkTransfer } from '../src-main/runtime/gc-tuning.js';
import { endOnAbort } from './processes.js';

/** Repository root: children run with it as cwd so `--import tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How long a child may take to answer one request (start-up included), in ms. */
export const CHILD_REQUEST_TIMEOUT_MS = 60_000;

/** How long a child gets to exit after SIGTERM before SIGKILL, in ms. */
const CHILD_EXIT_GRACE_MS = 2_000;

export interface ChildRequest {
  id: number;
  op: string;
  [key: string]: unknown;
}

export type ChildReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface BenchChild {
  readonly pid: number;
  /** Sends one request and resolves with the child's answer (within CHILD_REQUEST_TIMEOUT_MS unless given). */
  request<T>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Ends the child by its PID (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** How a command is run elsewhere (bench/serving-netns.ts: inside a network namespace). */
export type CommandWrap = (cmd: string, args: string[]) => { cmd: string; args: string[] };

/**
 * Starts `node --import tsx --expose-gc <file>` with an IPC channel; stderr goes to ours. `wrap` runs
 * it elsewhere (`ip netns exec` execs the command, so the PID and the IPC channel stay the child's).
 */
export function startChild(
  file: string,
  extraArgs: string[] = [],
  wrap: CommandWrap = (cmd, args) => ({ cmd, args }),
): BenchChild {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const run = wrap(process.execPath, ['--import', 'tsx', '--expose-gc', ...extraArgs, script]);
  const child: ChildProcess = spawn(run.cmd, run.args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  const pid = child.pid;
  endOnAbort(child);
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exitReason = `bench child ${file} exited (${signal ?? code})`;
      for (const p of pending.values()) p.reject(new Error(exitReason));
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (msg: ChildReply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.error));
  });
  return {
    pid,
    request<T>(
      op: string,
      args: Record<string, unknown> = {},
      timeoutMs = CHILD_REQUEST_TIMEOUT_MS,
    ): Promise<T> {
      if (exitReason) return Promise.reject(new Error(exitReason));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`bench child ${file} did not answer '${op}' within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ id, op, ...args } satisfies ChildRequest);
      });
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, CHILD_EXIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The child side: answers each request with `handle(op, request)`'s value or error. The child exits
 * when the parent disconnects, so an aborted bench leaves nothing behind.
 */
export function serveParent(
  handle: (req: ChildRequest) => Promise<unknown>,
  /**
   * Whether the child collects garbage as clawbridge processes do (ADR 0007). A child that runs
   * clawbridge code (a relay, a mux end) or a sink shared by every row does, so each row measures what
   * users run; the link emulator does not (link-emulator-child.ts).
   */
  { tuneGc = true }: { tuneGc?: boolean } = {},
): void {
  if (tuneGc) tuneGcForBulkTransfer();
  if (!process.send) throw new Error('bench children must be started by bench/child.ts (no IPC channel)');
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', (req: ChildRequest) => {
    handle(req).then(
      (value) => process.send?.({ id: req.id, ok: true, value: value ?? null } satisfies ChildReply),
      (err: unknown) =>
        process.send?.({
          id: req.id,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
        } satisfies ChildReply),
    );
  });
}

/** RSS of this process after two full GCs, in bytes (the child runs with --expose-gc). */
export function settledRss(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}
