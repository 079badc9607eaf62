/**
 * Lets the first `perWindow` events of a key through in each window of `windowMs` and holds back the
 * rest, counting them; once a window that held some back is over, `onHeld` is told how many (and the
 * last one held), once. A flood of alike events becomes a few lines and one "N more" line: the audit
 * log's refusals (audit/audit-noise.ts) and the agent's warnings about a peer's bad input use it.
 *
 * A window starts with the first event of its key. Windows that held events back are reported by a
 * timer when they end (unref'd: it never keeps a process up), so the count comes even when the flood
 * stops; windows that held nothing are forgotten. At most `maxKeys` keys are tracked: a new key past
 * that counts under OVERFLOW_KEY, so a stream of fresh keys (a stranger's fresh identities) cannot
 * grow memory. No I/O: the clock can be passed in.
 */

/** The key new keys share once `maxKeys` are tracked. */
export const OVERFLOW_KEY = '*';

/** Keys tracked at once by default. */
export const BURST_GATE_MAX_KEYS = 1000;

export interface BurstGateOptions<T> {
  /** Events let through per key and window. */
  perWindow: number;
  /** Length of a window, in ms. */
  windowMs: number;
  /** Most keys tracked at once (default BURST_GATE_MAX_KEYS). */
  maxKeys?: number;
  /**
   * A window of `key` that started at `since` (ms since the epoch) is over, or the gate is flushed,
   * and `count` events were held back in it (the sum of their weights); `last` is the last of them.
   */
  onHeld(key: string, count: number, last: T, since: number): void;
  now?: () => number;
}

interface Window<T> {
  start: number;
  passed: number;
  held: number;
  last: T | undefined;
}

export class BurstGate<T> {
  private readonly windows = new Map<string, Window<T>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: BurstGateOptions<T>) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? BURST_GATE_MAX_KEYS;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.windows.size;
  }

  /**
   * True: let `item` through. False: it is held back and counted (`weight` of it: a summary line that
   * stands for many events counts as many).
   */
  admit(key: string, item: T, weight = 1): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (w && now - w.start >= this.opts.windowMs) {
      this.windows.delete(key);
      this.report(key, w);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= this.maxKeys) this.sweep(now);
      if (this.windows.size >= this.maxKeys && key !== OVERFLOW_KEY)
        return this.admit(OVERFLOW_KEY, item, weight);
      w = { start: now, passed: 0, held: 0, last: undefined };
      this.windows.set(key, w);
    }
    if (w.passed < this.opts.perWindow) {
      w.passed++;
      return true;
    }
    w.held += weight;
    w.last = item;
    this.schedule(w.start + this.opts.windowMs - now);
    return false;
  }

  /** Reports every count held back now, whether its window is over or not (the log is closing). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const all = [...this.windows];
    this.windows.clear();
    for (const [key, w] of all) this.report(key, w);
  }

  private report(key: string, w: Window<T>): void {
    if (w.held > 0) this.opts.onHeld(key, w.held, w.last as T, w.start);
  }

  /** Reports and forgets every window that is over. */
  private sweep(now: number): void {
    for (const [key, w] of [...this.windows]) {
      if (now - w.start < this.opts.windowMs) continue;
      this.windows.delete(key);
      this.report(key, w);
    }
  }

  private schedule(inMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, inMs));
    // Node's timers only: a count still held when the process ends is flushed by its owner.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.now();
    this.sweep(now);
    let next: number | undefined;
    for (const w of this.windows.values()) {
      if (w.held === 0) continue;
      const end = w.start + this.opts.windowMs - now;
      next = next === undefined ? end : Math.min(next, end);
    }
    if (next !== undefined) this.schedule(next);
  }
}
