/**
 * One relay circuit as the client sees it (transport/circuit.ts). Frames are the opaque payloads of DATA
 * frames; backpressure is the relay connection's (one WebSocket carries every circuit), so `send` returns
 * false and `drain` fires for all circuits of a connection together.
 */
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError } from '../core/errors.js';
import { abbreviateFingerprint } from '../core/fingerprint.js';
import { refusalToWire, type RefusalCode } from '../core/refusal-codes.js';
import { NODE_REFUSAL_BASE, RelayCloseCode } from '../protocol/relay-close-codes.js';
import { DATA_HEADER_BYTES, fitReason } from '../protocol/relay-frames.js';
import type { SpliceJoin } from '../protocol/relay-splice.js';
import type { Circuit } from './circuit.js';

/**
 * A Circuit that can send a frame built with room for the transport's header in front, so the frame is
 * not copied once more just to prepend a few bytes (E2ELink seals records straight into such buffers).
 */
export interface FramingCircuit extends Circuit {
  /** Bytes the caller leaves free at the start of every buffer passed to `sendFramed`. */
  readonly headroom: number;
  /**
   * Sends `buf.subarray(headroom)` as one frame, like `send`, but writes the transport header into the
   * first `headroom` bytes of `buf` and sends `buf` itself. The caller must not touch `buf` afterwards.
   */
  sendFramed(buf: Uint8Array): boolean;
}

/** True when `circuit` offers `sendFramed` (a relay circuit does; test pairs need not). */
export function isFramingCircuit(circuit: Circuit): circuit is FramingCircuit {
  return typeof (circuit as Partial<FramingCircuit>).sendFramed === 'function';
}

/** What a circuit needs from the relay connection it runs on. */
export interface CircuitCarrier {
  /** Sends one DATA frame; false when the connection is above its high-water mark. */
  sendData(circuitId: number, payload: Uint8Array): boolean;
  /**
   * Sends one DATA frame whose payload already sits after DATA_HEADER_BYTES of headroom in `frame`
   * (the header is written in place); false when the connection is above its high-water mark.
   */
  sendDataFramed(circuitId: number, frame: Uint8Array): boolean;
  sendClose(circuitId: number, code: number, reason: string): void;
  /** The circuit is over on this side; its id may be reused. */
  forget(circuitId: number): void;
  /** Sends SPLICE for `circuitId`; undefined (and nothing sent) when the relay did not announce splices. */
  offerSplice?(circuitId: number, token: Uint8Array): SpliceJoin | undefined;
}

/**
 * Bytes kept for a circuit whose owner has not called onFrame yet, e.g. the peer's first handshake
 * message arriving in the same chunk as OPEN_OK, before the opener's promise continuation runs.
 */
export const EARLY_FRAME_BYTES = 1024 * 1024;

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

export class RelayCircuit implements FramingCircuit {
  /** The relay DATA header (version, type, circuit id) goes in front of every frame. */
  readonly headroom = DATA_HEADER_BYTES;
  private readonly events = new Emitter<Events>();
  /** Frames received before the first onFrame listener; undefined once flushed. */
  private early: Uint8Array[] | undefined = [];
  private earlyBytes = 0;
  private flushScheduled = false;
  private isClosed = false;

  constructor(
    private readonly carrier: CircuitCarrier,
    /** This side's circuit id on the relay connection. */
    readonly id: number,
    readonly claimedPeerId: string,
    readonly relayUrl: string,
    readonly initiator: boolean,
  ) {}

  /** Bytes that arrived before the owner listened, held for it (0 once it listens). */
  get heldBytes(): number {
    return this.earlyBytes;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** @throws ClawError('FRAME_TOO_LARGE') when the frame does not fit in one relay frame. */
  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    return this.carrier.sendData(this.id, frame);
  }

  /** @throws ClawError('FRAME_TOO_LARGE') when the frame does not fit in one relay frame. */
  sendFramed(buf: Uint8Array): boolean {
    if (this.isClosed) return false;
    return this.carrier.sendDataFramed(this.id, buf);
  }
  offerSplice(token: Uint8Array): SpliceJoin | undefined {
    return this.isClosed ? undefined : this.carrier.offerSplice?.(this.id, token);
  }

  onFrame(listener: (frame: Uint8Array) => void): Disposer {
    const dispose = this.events.on('frame', listener);
    if (this.early && !this.flushScheduled) {
      this.flushScheduled = true;
      // Not synchronously: a listener must not run before `onFrame` has returned its disposer.
      queueMicrotask(() => this.flush());
    }
    return dispose;
  }

  onDrain(listener: () => void): Disposer {
    return this.events.on('drain', listener);
  }

  onClose(listener: (error?: Error) => void): Disposer {
    return this.events.on('close', listener);
  }

  close(reason = 'closed', refusal?: RefusalCode): void {
    if (this.isClosed) return;
    const code = refusal ? NODE_REFUSAL_BASE + refusalToWire(refusal) : RelayCloseCode.NORMAL;
    this.carrier.sendClose(this.id, code, fitReason(reason));
    this.carrier.forget(this.id);
    this.finish(undefined);
  }

  /** A DATA payload for this circuit arrived. */
  deliver(payload: Uint8Array): void {
    if (this.isClosed) return;
    if (!this.early) return this.events.emit('frame', payload);
    this.earlyBytes += payload.length;
    if (this.earlyBytes > EARLY_FRAME_BYTES) {
      const error = new ClawError(
        'LINK_CLOSED',
        `relay circuit to ${abbreviateFingerprint(this.claimedPeerId)} closed: more than ${EARLY_FRAME_BYTES} bytes arrived before anyone read it`,
      );
      this.carrier.sendClose(this.id, RelayCloseCode.NORMAL, 'frames not read');
      this.carrier.forget(this.id);
      return this.finish(error);
    }
    this.early.push(payload);
  }

  /** The connection has room again. */
  drained(): void {
    if (!this.isClosed) this.events.emit('drain');
  }

  /** The other end or the relay ended the circuit; the carrier has already forgotten it. */
  ended(error: Error): void {
    this.finish(error);
  }

  private flush(): void {
    const queued = this.early ?? [];
    this.early = undefined;
    this.earlyBytes = 0;
    for (const frame of queued) {
      if (this.isClosed) return;
      this.events.emit('frame', frame);
    }
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.early = undefined;
    this.events.emit('close', error);
    this.events.removeAll();
  }
}
