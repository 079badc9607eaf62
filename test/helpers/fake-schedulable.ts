/**
 * A stand-in for MuxStream in scheduler tests (send-queue.ts): a byte queue with a class and a frame
 * size, unlimited credit, and a log of every frame the scheduler sent, shared by all fakes of a test.
 */
import type { FlightGate, Schedulable } from '../../src-main/mux/send-queue.js';

export interface SentFrame {
  id: number;
  interactive: boolean;
  payload: Buffer;
  /** Interactive fakes that had bytes waiting when this frame went. */
  interactiveWaiting: number;
}

export class FakeStream implements Schedulable {
  private readonly chunks: Buffer[] = [];
  private out = 0;

  constructor(
    readonly id: number,
    readonly interactive: boolean,
    private readonly frameBytes: number,
    private readonly log: SentFrame[],
    private readonly all: () => readonly FakeStream[],
  ) {}

  get sendable(): boolean {
    return this.chunks.length > 0;
  }

  get bytesOut(): number {
    return this.out;
  }

  write(chunk: Buffer): void {
    if (chunk.length > 0) this.chunks.push(chunk);
  }

  sendNext(sendData: (streamId: number, payload: Uint8Array) => boolean): boolean {
    const chunk = this.chunks[0];
    if (!chunk) return true;
    const payload = chunk.subarray(0, this.frameBytes);
    if (payload.length === chunk.length) this.chunks.shift();
    else this.chunks[0] = chunk.subarray(payload.length);
    const interactiveWaiting = this.all().filter((s) => s !== this && s.interactive && s.sendable).length;
    this.out += payload.length;
    this.log.push({ id: this.id, interactive: this.interactive, payload, interactiveWaiting });
    return sendData(this.id, payload);
  }
}

/** A flight cap the test opens and closes: `closed` holds everything, `bulk-held` only bulk. */
export class FakeGate implements FlightGate {
  state: 'open' | 'bulk-held' | 'closed' = 'open';
  flushes = 0;

  allows(interactive: boolean): boolean {
    if (this.state === 'open') return true;
    return this.state === 'bulk-held' && interactive;
  }

  flush(): void {
    this.flushes++;
  }
}
