/**
 * A max (or min) over a sliding window of time, kept as two half-window buckets: O(1) memory and time,
 * and the value it gives spans between half a window and a whole one of samples. Used by the flight
 * cap (mux/flight.ts: delivery rate) and UDP flows (forwards/udp-flow.ts: how fast a flow drains).
 * Times are whatever clock the caller uses, in ms. A window with no samples keeps its last value until
 * the next sample comes.
 */
export class WindowedExtreme {
  private current: number;
  private previous: number;
  private bucketStart = -Infinity;

  constructor(
    private readonly windowMs: number,
    private readonly pick: (a: number, b: number) => number,
    private readonly empty: number,
  ) {
    this.current = empty;
    this.previous = empty;
  }

  add(value: number, now: number): void {
    if (now - this.bucketStart >= this.windowMs / 2) {
      this.previous = now - this.bucketStart >= this.windowMs ? this.empty : this.current;
      this.current = this.empty;
      this.bucketStart = now;
    }
    this.current = this.pick(this.current, value);
  }

  get value(): number {
    return this.pick(this.current, this.previous);
  }
}
