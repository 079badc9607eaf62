/**
 * How a part that sees bulk work begin (a file transfer's bytes, a burst of messages) tells the process's
 * runtime before its CPU clock could: the agent keeps V8's compilers off until it has been busy for a
 * while (runtime/compiler-tiers.ts, ADR 0076), and a busy stretch is read only in whole spans after
 * collections. A burst of messages or the first seconds of a transfer end before the spans in a row add
 * up, so each such burst ran on the interpreter from start to end (docs/design/compiler-and-gc-tiers.md
 * §Work announced). The runtime installs the listener while its compilers wait; a process whose entry
 * point installed none (a test, a library user) ignores the announcements.
 */

let listener: (() => void) | undefined;
let burstListener: (() => void) | undefined;

/** Installed by runtime/compiler-tiers.ts while the compilers wait; undefined uninstalls it. */
export function onWorkThatLasts(l: (() => void) | undefined): void {
  listener = l;
}

/**
 * Installed by runtime/gc-tuning.ts, told of every burst (the compilers' listener above goes once
 * they are on): the young generation may grow for the burst's garbage; undefined uninstalls it.
 */
export function onEachBurst(l: (() => void) | undefined): void {
  burstListener = l;
}

/** Bulk work has begun: the runtime may stop waiting for its CPU clock to say so. */
export function announceWorkThatLasts(): void {
  listener?.();
  burstListener?.();
}

/**
 * Counts units of work (messages, bytes) and announces work that lasts once `threshold` of them came
 * with no pause of `pauseMs` or more between two counts: a burst of that size, not a trickle that adds
 * up over hours. Announces once per burst.
 */
export class BurstCounter {
  private count = 0;
  private lastAtMs = -Infinity;
  private announced = false;

  constructor(
    private readonly threshold: number,
    private readonly pauseMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  add(units: number): void {
    const t = this.now();
    if (t - this.lastAtMs >= this.pauseMs) {
      this.count = 0;
      this.announced = false;
    }
    this.lastAtMs = t;
    this.count += units;
    if (!this.announced && this.count >= this.threshold) {
      this.announced = true;
      announceWorkThatLasts();
    }
  }
}
