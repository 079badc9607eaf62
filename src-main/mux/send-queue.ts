/**
 * The DATA scheduler of one mux (docs/adr/0021-interactive-first.md). Streams with bytes and credit wait
 * in one of two round-robin queues, interactive and bulk, and each turn sends one frame
 * (≤ MAX_DATA_PAYLOAD). Interactive streams go first; after INTERACTIVE_BURST_BYTES of interactive DATA
 * in a row while bulk waits, one bulk frame goes, so neither class starves. An interactive frame thus
 * waits behind at most one bulk frame here.
 *
 * Two gates hold DATA back: the link's backpressure (`send` returned false: every stream waits for
 * drain) and the link's flight cap (flight.ts: bulk waits for an acknowledgement, interactive may go a
 * little beyond). Control frames bypass this queue and keep flowing (WINDOW must, or two blocked sides
 * would deadlock).
 */
import { INTERACTIVE_BURST_BYTES } from './priority.js';

/** What the scheduler needs of a stream (MuxStream; tests use fakes). */
export interface Schedulable {
  /** True when a chunk waits and the peer granted credit for at least one byte. */
  readonly sendable: boolean;
  /** True when the stream's next frame is interactive (priority.ts). */
  readonly interactive: boolean;
  /** Payload bytes sent so far. */
  readonly bytesOut: number;
  /** Sends the next frame through `sendData`; returns its verdict (false = link above its mark). */
  sendNext(sendData: (streamId: number, payload: Uint8Array) => boolean): boolean;
}

/** The flight cap as the scheduler sees it (FlightWindow). */
export interface FlightGate {
  /** True when a frame of this class may go now. */
  allows(interactive: boolean): boolean;
  /** DATA is held by the cap: make sure what was sent gets acknowledged. */
  flush(): void;
}

const OPEN_GATE: FlightGate = { allows: () => true, flush: () => undefined };

export class SendQueue<S extends Schedulable = Schedulable> {
  // A Set iterates in insertion order: take the first, re-add at the back = round robin, O(1) each.
  private readonly interactive = new Set<S>();
  private readonly bulk = new Set<S>();
  private blocked = false;
  private flushing = false;
  /** Interactive bytes sent in a row while bulk waited. */
  private burst = 0;

  /**
   * @param sendData hands one DATA payload of a stream to the link; false means the link is above its
   *   high-water mark. The payload may be a view of the application's chunk: it is framed (copied or
   *   encrypted) before `sendData` returns.
   * @param gate the link's flight cap; without one only backpressure holds DATA.
   */
  constructor(
    private readonly sendData: (streamId: number, payload: Uint8Array) => boolean,
    private readonly gate: FlightGate = OPEN_GATE,
  ) {}

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

  /** The flight cap may have room again (an acknowledgement arrived). */
  resume(): void {
    this.flush();
  }

  /** A stream may have become sendable (new chunk or new credit). Keeps its place if already queued. */
  wake(stream: S): void {
    if (!stream.sendable) return;
    this.enqueue(stream);
    this.flush();
  }

  /** Drops a stream that finished or failed. */
  remove(stream: S): void {
    this.interactive.delete(stream);
    this.bulk.delete(stream);
  }

  private enqueue(stream: S): void {
    if (this.interactive.has(stream) || this.bulk.has(stream)) return;
    (stream.interactive ? this.interactive : this.bulk).add(stream);
  }

  /** The queue whose turn it is, or undefined when neither may send now. */
  private pick(): Set<S> | undefined {
    const bulkMay = this.bulk.size > 0 && this.gate.allows(false);
    const interactiveMay = this.interactive.size > 0 && this.gate.allows(true);
    if (interactiveMay && !(bulkMay && this.burst >= INTERACTIVE_BURST_BYTES)) return this.interactive;
    if (bulkMay) return this.bulk;
    return undefined;
  }

  private flush(): void {
    // Completing a write can synchronously start the next one (Writable calls _write again from the
    // callback), which lands in wake(); the flag turns that re-entry into "queued", not recursion.
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.blocked) {
        const queue = this.pick();
        if (!queue) break;
        const stream = queue.values().next().value as S;
        queue.delete(stream);
        if (!stream.sendable) continue;
        const before = stream.bytesOut;
        if (!stream.sendNext(this.sendData)) this.blocked = true;
        if (queue === this.interactive) this.burst += stream.bytesOut - before;
        else this.burst = 0;
        if (this.bulk.size === 0) this.burst = 0;
        if (stream.sendable) this.enqueue(stream);
      }
      if (this.bulk.size > 0 || this.interactive.size > 0) this.gate.flush();
    } finally {
      this.flushing = false;
    }
  }
}
