/**
 * A per-key sliding-window limit: at most `perWindow` attempts per key within `windowMs`, and how long
 * until the next one is allowed. Pure (the clock is passed in); the key set is bounded so a stream of
 * fresh keys cannot grow memory — the oldest key is forgotten first, which only ever helps that key.
 */
export class AttemptLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly perWindow: number,
    private readonly windowMs: number,
    /** Most keys remembered at once. */
    private readonly maxKeys = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whole seconds until `key` may make an attempt (0: now), without counting one. */
  wait(key: string): number {
    const now = this.now();
    const times = (this.recent.get(key) ?? []).filter((t) => now - t < this.windowMs);
    return times.length >= this.perWindow
      ? Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000))
      : 0;
  }

  /**
   * Counts an attempt for `key`, or refuses it. Returns 0 when allowed, else the whole seconds to wait
   * until the oldest attempt in the window falls out (at least 1).
   */
  attempt(key: string): number {
    const now = this.now();
    const times = (this.recent.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (times.length >= this.perWindow) {
      this.recent.set(key, times);
      return Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000));
    }
    times.push(now);
    this.recent.delete(key); // re-inserted last: Map order is then least recently used first
    this.recent.set(key, times);
    if (this.recent.size > this.maxKeys) this.recent.delete(this.recent.keys().next().value!);
    return 0;
  }
}
