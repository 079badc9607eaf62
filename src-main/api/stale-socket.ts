/**
 * Taking over a control socket that a crashed agent left behind, without ever taking one from a live
 * agent. Probing the socket and then replacing it are two steps: two agents started at once could both
 * find it stale, and the second's unlink would remove the socket the first had just bound (both then
 * run, one unreachable). A lock file beside the socket, created exclusively, makes probe, unlink and
 * bind one step: whoever holds it decides; the others wait for it to go and then find a live socket.
 */
import { open, stat, unlink } from 'node:fs/promises';
import { fileProblem } from '../core/file-errors.js';

/** A lock older than this, in ms, was left by a process that died holding it (holding takes ms). */
export const STALE_LOCK_MS = 10_000;

/** How long to wait for another process's lock before giving up, in ms. */
export const LOCK_WAIT_MS = 3_000;

const RETRY_MS = 25;

/**
 * Probes of a socket before it counts as stale, and the pause between them, in ms. An agent binds its
 * socket and starts listening in two system calls; one preempted between them (a loaded machine)
 * refuses connections for that moment while its socket file exists. Taken for a crash's leftover, its
 * socket was unlinked and bound again by the second agent, and both agents ran (seen in CI). A crashed
 * agent's socket refuses every probe; a starting one's answers within microseconds of being scheduled.
 */
export const STALE_PROBES = 5;
export const STALE_PROBE_GAP_MS = 50;

export interface StaleSocketSteps {
  /** True when an agent answers on the socket. */
  answers(): Promise<boolean>;
  /** Binds the socket; rejects with EADDRINUSE when something holds the path. */
  listen(): Promise<void>;
  /** The error for "an agent runs there". */
  running(): Error;
}

/**
 * Binds `path`, replacing a stale socket there; throws `running()` when a live agent holds it or
 * another process is taking it over and does not finish within LOCK_WAIT_MS.
 */
export async function replaceStaleSocket(path: string, steps: StaleSocketSteps): Promise<void> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const handle = await open(lock, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw fileProblem(lock, err, 'write');
    });
    if (handle) {
      try {
        if (await answersWithin(steps)) throw steps.running();
        await unlink(path).catch((err: NodeJS.ErrnoException) => {
          // Not "an agent runs there" (the bind would say so next): this home cannot be written.
          if (err.code !== 'ENOENT') throw fileProblem(path, err, 'write');
        });
        await steps.listen().catch((err: NodeJS.ErrnoException) => {
          // An agent that started while this one held the lock, and found no socket at all.
          throw err.code === 'EADDRINUSE' ? steps.running() : err;
        });
        return;
      } finally {
        await handle.close();
        await unlink(lock).catch(() => undefined);
      }
    }
    if (await leftByTheDead(lock)) {
      await unlink(lock).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) throw steps.running();
    await new Promise((r) => setTimeout(r, RETRY_MS));
    // The other process may have bound the socket by now: that is a live agent.
    const bound = await steps.listen().then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE') throw err;
        return false;
      },
    );
    if (bound) return;
  }
}

/** True when the socket answers any of STALE_PROBES probes. */
async function answersWithin(steps: StaleSocketSteps): Promise<boolean> {
  for (let i = 0; i < STALE_PROBES; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, STALE_PROBE_GAP_MS));
    if (await steps.answers()) return true;
  }
  return false;
}

async function leftByTheDead(lock: string): Promise<boolean> {
  const info = await stat(lock).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > STALE_LOCK_MS;
}
