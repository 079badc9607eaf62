/**
 * The clock and timers NAT traversal schedules by (lease renewals, retries, a synchronised start), as a
 * port so tests drive them with a fake clock instead of waiting out an hour's lease.
 */
export interface Timers {
  /** Wall-clock milliseconds (Date.now()). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What setTimeout returned; only given back to clearTimeout. */
export type TimerHandle = { readonly brand?: 'timer' } | number;

/** The process's own clock. Timers are unref'd: a pending renewal never keeps a process alive. */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};
