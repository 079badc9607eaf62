/**
 * The DATA scheduler of one mux: streams with bytes and credit wait in a round-robin queue and each turn
 * sends one frame (≤ MAX_DATA_PAYLOAD), so a bulk transfer cannot starve an interactive stream. When the
 * link reports backpressure (`send` returned false) DATA stops for every stream until the link drains;
 * control frames bypass this queue and keep flowing (WINDOW must, or two blocked sides would deadlock).
 */
import type { MuxStream } from './stream.js';

export class SendQueue {
  // A Set iterates in insertion order: take the first, re-add at the back = round robin, O(1) each.
  private readonly ready = new Set<MuxStream>();
  private blocked = false;
  private flushing = false;

  /**
   * @param sendData hands one DATA payload of a stream to the link; false means the link is above its
   *   high-water mark. The payload may be a view of the application's chunk: it is framed (copied or
   *   encrypted) before `sendData` returns.
   */
  constructor(private readonly sendData: (streamId: number, payload: Uint8Array) => boolean) {}

  /** True while DATA waits for the link to drain. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** The link refused more bulk data (a send returned false): hold DATA until `drain`. */
  block(): void {
    this.blocked = true;
  }

  /** The link drained: resume sending. */
  drain(): void {
    this.blocked = false;
    this.flush();
  }

  /** A stream may have become sendable (new chunk or new credit). Keeps its place if already queued. */
  wake(stream: MuxStream): void {
    if (!stream.sendable) return;
    this.ready.add(stream);
    this.flush();
  }

  /** Drops a stream that finished or failed. */
  remove(stream: MuxStream): void {
    this.ready.delete(stream);
  }

  private flush(): void {
    // Completing a write can synchronously start the next one (Writable calls _write again from the
    // callback), which lands in wake(); the flag turns that re-entry into "queued", not recursion.
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.blocked) {
        const next = this.ready.values().next();
        if (next.done) break;
        const stream = next.value;
        this.ready.delete(stream);
        if (!stream.sendable) continue;
        if (!stream.sendNext(this.sendData)) this.blocked = true;
        if (stream.sendable) this.ready.add(stream);
      }
    } finally {
      this.flushing = false;
    }
  }
}
