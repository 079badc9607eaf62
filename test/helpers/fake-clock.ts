/**
 * A clock whose time moves only when the test says so, for code that takes its timers injected
 * (`Clock` in app/api/events.ts, `RetryTimers` in forwards/retry-schedule.ts, a bare `now()`).
 */

export interface FakeClock {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => number;
  clearTimeout: (handle: unknown) => void;
  /** Moves time forward by `ms`, running the timers that fall due on the way, in order; the new time. */
  advance: (ms: number) => number;
  /**
   * Jumps to the next timer and runs it, then lets the microtasks and one macrotask turn it started
   * run; how far time moved, or undefined when no timer is set.
   */
  runNext: () => Promise<number | undefined>;
  /** How many timers are set. */
  pending: () => number;
}

/** A fake clock at `start` ms (methods are bound: `clock.now` may be passed on its own). */
export function fakeClock(start = 0): FakeClock {
  let time = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  /** The due-first timer (the earlier set first among equals), or undefined. */
  const first = () => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) if (!best || entry[1].at < best[1].at) best = entry;
    return best;
  };
  return {
    now: () => time,
    setTimeout: (fn, ms) => {
      timers.set(nextId, { at: time + ms, fn });
      return nextId++;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
    advance: (ms) => {
      const end = time + ms;
      for (let next = first(); next && next[1].at <= end; next = first()) {
        timers.delete(next[0]);
        time = next[1].at;
        next[1].fn();
      }
      time = end;
      return time;
    },
    runNext: async () => {
      const next = first();
      if (!next) return undefined;
      timers.delete(next[0]);
      const waited = next[1].at - time;
      time = next[1].at;
      next[1].fn();
      await new Promise((r) => setImmediate(r));
      return waited;
    },
    pending: () => timers.size,
  };
}
