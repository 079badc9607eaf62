/**
 * Retrying a listener whose port is taken (architecture.md §Forwards): attempts after 1, 2, 4, 8, 16,
 * then every 30 s (`core/backoff.ts` without jitter: only this node binds its own port, so there is no
 * crowd to spread out), until one succeeds or the retry is cancelled. Pure apart from the timers it is
 * given, so a fake clock can drive it.
 */
import { BACKOFF_MAX_MS, backoffDelayMs } from '../core/backoff.js';
import { background } from '../core/background.js';

/** The timers the schedule uses (tests pass a fake clock). */
export interface RetryTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: RetryTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The longest wait between two attempts, in seconds (for the notice). */
export const RETRY_MAX_S = BACKOFF_MAX_MS / 1000;

/** Delay before retry number `attempt` (0-based): 1 s, 2 s, 4 s … 30 s, in ms. */
export function retryDelayMs(attempt: number): number {
  return backoffDelayMs(attempt, () => 0);
}

/**
 * Calls `attempt` on the backoff schedule until it returns true (done) or `cancel()` is called.
 * `attempt` returning false (or throwing) schedules the next try.
 */
export class RetrySchedule {
  private tries = 0;
  private handle: unknown;
  private cancelled = false;
  /** When the next attempt runs (ms since the epoch), or undefined while none is scheduled. */
  retryAt: number | undefined;

  constructor(
    private readonly attempt: () => Promise<boolean>,
    private readonly timers: RetryTimers = realTimers,
    /** Told each time an attempt is scheduled, with its delay in ms. */
    private readonly onScheduled: (delayMs: number) => void = () => undefined,
  ) {}

  /** Schedules the next attempt; returns its delay in ms. */
  next(): number {
    const delay = retryDelayMs(this.tries++);
    this.retryAt = this.timers.now() + delay;
    // run() counts a failed attempt itself; a throw past that is one more failed attempt.
    this.handle = this.timers.setTimeout(() => background(this.run(), () => this.next()), delay);
    this.onScheduled(delay);
    return delay;
  }

  cancel(): void {
    this.cancelled = true;
    this.retryAt = undefined;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  get active(): boolean {
    return !this.cancelled;
  }

  private async run(): Promise<void> {
    this.handle = undefined;
    this.retryAt = undefined;
    if (this.cancelled) return;
    let done = false;
    try {
      done = await this.attempt();
    } catch {
      done = false;
    }
    if (!done && !this.cancelled) this.next();
  }
}
