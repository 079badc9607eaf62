/**
 * An in-memory pair of relay Circuits (like ws's test/duplex-pair.js) with an optional man in the middle.
 * Frames are copied on send and delivered in order on a later macrotask, so buffered bytes build up and
 * `send` returns false above the high-water mark, then `onDrain` fires, as with a real relay connection.
 * The `mitm` hook sees every frame and returns what the relay delivers instead: [] drops, [f, f]
 * replays, a changed copy tampers, holding one back and releasing it later reorders.
 */
import { Emitter } from '../../src-main/core/emitter.js';
import { ClawError } from '../../src-main/core/errors.js';
import type { Circuit } from '../../src-main/transport/circuit.js';

export type PairDirection = 'i2r' | 'r2i';

/** Where a frame is in the stream: its direction and its 0-based index in that direction. */
export interface MitmContext {
  direction: PairDirection;
  index: number;
}

/** Returns the frames to deliver in place of `frame` (possibly none, possibly several). */
export type Mitm = (frame: Uint8Array, ctx: MitmContext) => Uint8Array[];

export interface CircuitPairOptions {
  relayUrl?: string;
  /** Claimed peer IDs as the relay would report them (unverified). */
  initiatorId?: string;
  responderId?: string;
  mitm?: Mitm;
  /** Buffered bytes above which send() returns false. Default 1 MiB. */
  highWaterMark?: number;
}

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

export class MemoryCircuit implements Circuit {
  remote!: MemoryCircuit;
  private readonly events = new Emitter<Events>();
  private queue: Uint8Array[] = [];
  private buffered = 0;
  private scheduled = false;
  private needDrain = false;
  private isClosed = false;
  private sentCount = 0;

  constructor(
    readonly claimedPeerId: string,
    readonly relayUrl: string,
    readonly initiator: boolean,
    private readonly highWaterMark: number,
    private readonly mitm: Mitm | undefined,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    const copy = frame.slice();
    const ctx: MitmContext = { direction: this.initiator ? 'i2r' : 'r2i', index: this.sentCount++ };
    for (const out of this.mitm ? this.mitm(copy, ctx) : [copy]) this.enqueue(out);
    const ok = this.buffered <= this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** Puts a frame on the wire toward the other end, bypassing the mitm (for injection attacks). */
  enqueue(frame: Uint8Array): void {
    this.queue.push(frame);
    this.buffered += frame.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const frames = this.queue;
    this.queue = [];
    for (const frame of frames) {
      this.buffered -= frame.length;
      if (this.remote.isClosed) continue;
      this.remote.events.emit('frame', frame);
    }
    if (this.needDrain && !this.isClosed && this.buffered <= this.highWaterMark) {
      this.needDrain = false;
      this.events.emit('drain');
    }
  }

  onFrame(listener: (frame: Uint8Array) => void) {
    return this.events.on('frame', listener);
  }
  onDrain(listener: () => void) {
    return this.events.on('drain', listener);
  }
  onClose(listener: (error?: Error) => void) {
    return this.events.on('close', listener);
  }

  close(reason?: string): void {
    if (this.isClosed) return;
    this.finish(undefined);
    // The peer hears about it after the frames already in flight, as through a real relay.
    setImmediate(() =>
      this.remote.finish(
        new ClawError('LINK_CLOSED', `relay circuit closed by peer${reason ? `: ${reason}` : ''}`),
      ),
    );
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.events.emit('close', error);
    this.events.removeAll();
  }
}

/** Two connected circuits: `initiator` opened the circuit, `responder` accepted it. */
export function createCircuitPair(opts: CircuitPairOptions = {}): {
  initiator: MemoryCircuit;
  responder: MemoryCircuit;
} {
  const url = opts.relayUrl ?? 'wss://relay.test';
  const hwm = opts.highWaterMark ?? 1024 * 1024;
  const initiator = new MemoryCircuit(opts.responderId ?? 'b'.repeat(64), url, true, hwm, opts.mitm);
  const responder = new MemoryCircuit(opts.initiatorId ?? 'a'.repeat(64), url, false, hwm, opts.mitm);
  initiator.remote = responder;
  responder.remote = initiator;
  return { initiator, responder };
}
