/**
 * When the supervisor starts a dead agent process again (agent-host.ts): 1, 2, 4, 8, 16, 30, 30… s,
 * like every other retry in the app (docs/architecture.md §Links and paths), so a process that dies
 * at once does not spin; a process that ran for a while starts the sequence over.
 */

export interface RestartDelays {
  /** First wait, in ms. */
  firstMs: number;
  /** Longest wait, in ms. */
  maxMs: number;
  /** A run at least this long (ms) resets the backoff: the next failure is a new one, not a loop. */
  stableAfterMs: number;
}

/** The app's schedule: 1 s doubling to 30 s; a minute of running counts as recovered. */
export const RESTART_DELAYS: RestartDelays = { firstMs: 1_000, maxMs: 30_000, stableAfterMs: 60_000 };

/** The wait before restart number `attempt` (0 for the first), in ms. Pure. */
export function restartDelayMs(attempt: number, delays: RestartDelays = RESTART_DELAYS): number {
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new RangeError(`attempt must be a whole number ≥ 0, got ${attempt}`);
  // 2^attempt overflows nothing here: past 2^30 the maximum has long been reached.
  return Math.min(delays.maxMs, delays.firstMs * 2 ** Math.min(attempt, 30));
}
