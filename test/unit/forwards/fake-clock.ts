/** A fake clock for retry schedules: time moves only when a test runs the next timer. */
import type { RetryTimers } from '../../../src-main/forwards/retry-schedule.js';

/** A clock that only moves when told: `runNext()` jumps to the next timer and runs it. */
export function fakeClock(): RetryTimers & {
  runNext: () => Promise<number | undefined>;
  pending: () => number;
} {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    pending: () => timers.size,
    async runNext() {
      const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) return undefined;
      timers.delete(next[0]);
      const waited = next[1].at - now;
      now = next[1].at;
      next[1].fn();
      await new Promise((r) => setImmediate(r));
      return waited;
    },
  };
}
