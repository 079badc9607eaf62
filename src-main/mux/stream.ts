/**
 * One mux stream: a node:stream Duplex (so it pipes to sockets and PTYs with native backpressure) whose
 * bytes travel as DATA frames under per-stream credit (architecture.md §Mux, docs/mux-protocol.md).
 *
 * Receive side: the peer may send only what this side granted. Credit goes back only when the application
 * consumes (reads) bytes, in steps of half the window, so a slow reader stops the sender and the bytes
 * buffered here never exceed the window. The window starts at the mux's `streamWindow` and doubles when
 * the application drains it fast (window-tuner.ts), so a fast reader is not held back by credit while a
 * slow one keeps the window it started with. Send side: `_write` hands one chunk to the Mux's DATA
 * scheduler (send-queue.ts: interactive streams first, round robin within a class) and completes once
 * every byte of it is framed onto the link, so Writable's own high-water mark bounds what the
 * application can queue.
 *
 * Like any Node stream, give it an 'error' listener (pipeline() does): a peer reset (STREAM_RESET) or a
 * link failure (LINK_CLOSED) is reported there, and an unhandled 'error' crashes the process.
 */
import { Duplex } from 'node:stream';
import { ClawError, refusalOf } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import {
  encodeFrame,
  FrameType,
  INITIAL_STREAM_WINDOW,
  MAX_DATA_PAYLOAD,
  MAX_STREAM_WINDOW,
} from '../protocol/mux-frames.js';
import { CREDIT_RETURN_DIVISOR, STREAM_WRITE_HIGH_WATER } from './constants.js';
import { isInteractive } from './priority.js';

/** What a stream needs from its Mux; kept narrow so the stream never touches the link directly. */
export interface StreamDeps {
  /** Sends a control frame (WINDOW, FIN, RST) now; control frames ignore link backpressure. */
  sendControl(frame: Uint8Array): void;
  /**
   * Auto-tuning: the receive window to advertise next, given the current one and the milliseconds the
   * application took to consume the last half of it (≥ `window`; growth is reserved from the link's budget).
   */
  tuneWindow(window: number, halfWindowMs: number): number;
  /** The window a stream gets that asks for `wanted` bytes at once (window-tuner.ts `reserve`). */
  reserveWindow(window: number, wanted: number): number;
  /** The stream has bytes and credit: put it in the DATA scheduler (send-queue.ts). */
  wake(stream: MuxStream): void;
  /** The stream is finished on the wire: forget it (stream table, DATA queue). */
  forget(stream: MuxStream): void;
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Where a stream is on the wire, one state instead of flags that could disagree: both ways open; the
 * peer's FIN came (this side may still write); this side's FIN went (the peer may still send); or
 * released: both FINs crossed, or a reset, a link failure or the application's destroy took it off the
 * wire. A released stream is forgotten by its Mux, so no frame reaches it and nothing is sent for it
 * (no RST on destroy, no ACKED, no credit).
 */
type StreamState = 'open' | 'peer-ended' | 'ended-here' | 'released';

export class MuxStream extends Duplex {
  private inBytes = 0;
  private outBytes = 0;
  /** Total credit granted to the peer so far: INITIAL_STREAM_WINDOW plus every WINDOW sent. */
  private granted = INITIAL_STREAM_WINDOW;
  /** Current receive window in bytes: the configured one, doubled by auto-tuning; never shrinks. */
  private window: number;
  /** performance.now() of the last grant (or of creation): the start of the current tuning epoch. */
  private epochStart = performance.now();
  /** Bytes this side may still send. */
  private credit = INITIAL_STREAM_WINDOW;
  /** What went with the OPEN (sentEarly), until takeEarlyChunks collects it. */
  private earlyChunks: readonly Buffer[] = [];
  private state: StreamState = 'open';
  private pending: Buffer | undefined;
  private pendingOffset = 0;
  private pendingCallback: WriteCallback | undefined;

  /** @internal Created by Mux on ACCEPT; applications get streams from `Mux.open` or `accept()`. */
  constructor(
    private readonly deps: StreamDeps,
    /** Stream ID on the link (odd when the link's initiator opened it, even otherwise). */
    readonly id: number,
    /** Service name from the OPEN frame, e.g. `terminal`. */
    readonly service: string,
    /** Arguments from the OPEN frame, parsed JSON; validate them before use. */
    readonly args: unknown,
    /** Starting receive window in bytes (≥ INITIAL_STREAM_WINDOW); auto-tuning may grow it. */
    private readonly startWindow: number,
  ) {
    super({
      allowHalfOpen: true,
      // Credit, not this mark, bounds what is buffered (push()'s return value is ignored).
      readableHighWaterMark: startWindow,
      writableHighWaterMark: STREAM_WRITE_HIGH_WATER,
    });
    this.window = startWindow;
  }

  /**
   * Current receive window in bytes: payload delivered to this stream but not yet read never exceeds
   * it. Starts at the mux's `streamWindow` and only grows (auto-tuning, up to `maxStreamWindow`).
   */
  get receiveWindowSize(): number {
    return this.window;
  }

  /** @internal Bytes auto-tuning added to this stream's window (returned to the link budget on release). */
  get windowGrowth(): number {
    return this.window - this.startWindow;
  }

  /** Payload bytes received from the peer. */
  get bytesIn(): number {
    return this.inBytes;
  }

  /** Payload bytes framed onto the link towards the peer. */
  get bytesOut(): number {
    return this.outBytes;
  }

  /**
   * Not supported: credit counts bytes, and a decoded string's length is not its byte count.
   * @throws ClawError('BAD_ARGUMENT') always; decode chunks with a StringDecoder instead.
   */
  override setEncoding(_encoding: BufferEncoding): this {
    throw new ClawError(
      'BAD_ARGUMENT',
      'MuxStream.setEncoding is not supported: flow control counts bytes; decode chunks with a StringDecoder',
    );
  }

  /** Reads like any Readable, then returns credit to the peer if enough was consumed. */
  override read(size?: number): Buffer | null {
    const chunk = super.read(size) as Buffer | null;
    this.returnCredit();
    return chunk;
  }

  override _read(): void {
    // Data arrives when the peer sends it; all this side can do to get more is return credit.
    this.returnCredit();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.pending = chunk;
    this.pendingOffset = 0;
    this.pendingCallback = callback;
    this.deps.wake(this);
  }

  override _final(callback: WriteCallback): void {
    // Runs after the last _write completed, i.e. after its last DATA frame was handed to the link,
    // so the FIN follows every DATA frame of this stream on the wire.
    this.deps.sendControl(encodeFrame({ type: FrameType.Fin, streamId: this.id }));
    if (this.state === 'open') this.state = 'ended-here';
    else if (this.state === 'peer-ended') this.release();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.state !== 'released') {
      this.release();
      const reason = error ? error.message : 'stream closed by the application before it finished';
      const code = refusalOf(error) ?? (error ? 'UNSPECIFIED' : 'CANCELLED');
      this.deps.sendControl(encodeFrame({ type: FrameType.Rst, streamId: this.id, code, reason }));
    }
    // The pending write's callback is dropped on purpose: the stream is destroyed, Node errors the rest.
    this.pending = undefined;
    this.pendingCallback = undefined;
    callback(error);
  }

  /**
   * The offset of the last ACKED frame received (resumable streams), or undefined before one came.
   * Kept because an acceptor's first ACKED can arrive in the same read as its ACCEPT, before the opener
   * had the stream in hand to listen for the `acked` event.
   */
  peerAcked: number | undefined;

  /** @internal ACKED from the peer: remembered, and emitted as `acked`. */
  receiveAcked(offset: number): void {
    this.peerAcked = offset;
    this.emit('acked', offset);
  }

  /**
   * Sends ACKED(offset) for a resumable stream (resumable-stream.ts): the peer's bytes received so far,
   * over every link the stream used. The peer's ACKED frames arrive as the `acked` event (offset: number).
   * Nothing is sent once the stream is off the wire.
   */
  sendAcked(offset: number): void {
    if (this.state === 'released') return;
    this.deps.sendControl(encodeFrame({ type: FrameType.Acked, streamId: this.id, offset }));
  }

  /** @internal Sends extra credit beyond the initial window when this side asked for a bigger one. */
  start(): void {
    this.epochStart = performance.now();
    if (this.window > this.granted) this.grant(this.window - this.granted);
  }

  /**
   * Raises the receive window to `bytes` now, instead of waiting for auto-tuning to earn it, and grants
   * the peer the difference at once. For a stream whose sender cannot wait for credit (a UDP flow drops
   * what does not fit): auto-tuning grows a window only when the reader drained half of it within two
   * round trips, which a paced sender (60 MB/s of datagrams fills 128 KiB in 2.2 ms) may never show,
   * so its first stall of the reader overflows. The growth comes out of the link's budget as tuning
   * growth does (less, or nothing, when the budget is spent) and goes back to it when the stream ends.
   * @returns the receive window now.
   */
  raiseReceiveWindow(bytes: number): number {
    if (!this.receiving || bytes <= this.window) return this.window;
    const window = this.deps.reserveWindow(this.window, bytes);
    if (window > this.window) {
      this.window = window;
      const consumed = this.inBytes - this.readableLength;
      this.grant(consumed + this.window - this.granted);
    }
    return this.window;
  }

  /**
   * @internal The opener sent `bytes` with its OPEN, before this stream existed (early-data.ts): they
   * used the initial credit and count as sent.
   */
  sentEarly(bytes: number, chunks: readonly Buffer[]): void {
    this.credit -= bytes;
    this.outBytes += bytes;
    this.earlyChunks = chunks;
  }

  /**
   * The bytes sent with the OPEN (sentEarly), once: a layer above that keeps what it sent for a resend
   * (resumable-stream.ts) keeps these too. Later calls return none.
   */
  takeEarlyChunks(): readonly Buffer[] {
    const chunks = this.earlyChunks;
    this.earlyChunks = [];
    return chunks;
  }

  /** True while this stream's DATA goes ahead of bulk on the link (priority.ts). */
  get interactive(): boolean {
    return isInteractive(this.service, this.outBytes);
  }

  /** @internal True when a chunk waits and the peer granted credit for at least one byte. */
  get sendable(): boolean {
    return this.pending !== undefined && this.credit > 0;
  }

  /**
   * @internal Passes the next DATA payload (≤ credit, ≤ MAX_DATA_PAYLOAD) to `sendData`, which frames it
   * onto the link before returning. Completes the write callback only after that, so a FIN triggered by
   * it follows the DATA, and the application may reuse its chunk once the callback ran.
   * @returns what `sendData` returned (false = link above its high-water mark).
   */
  sendNext(sendData: (streamId: number, payload: Uint8Array) => boolean): boolean {
    const chunk = this.pending;
    if (chunk === undefined || this.credit <= 0) return true;
    const size = Math.min(chunk.length - this.pendingOffset, this.credit, MAX_DATA_PAYLOAD);
    const payload = chunk.subarray(this.pendingOffset, this.pendingOffset + size);
    this.pendingOffset += size;
    this.credit -= size;
    this.outBytes += size;
    const ok = sendData(this.id, payload);
    if (this.pending === chunk && this.pendingOffset === chunk.length) {
      const callback = this.pendingCallback;
      this.pending = undefined;
      this.pendingCallback = undefined;
      callback?.();
    }
    return ok;
  }

  /**
   * @internal DATA from the peer, in one buffer or in the pieces it arrived in (delivered in order,
   * uncopied). Returns a protocol-violation message, or undefined when fine.
   */
  receiveData(payload: Buffer | readonly Buffer[]): string | undefined {
    if (!this.receiving) return `DATA on stream ${this.id} after the peer's FIN`;
    const pieces = Buffer.isBuffer(payload) ? [payload] : payload;
    let length = 0;
    for (const p of pieces) length += p.length;
    if (this.inBytes + length > this.granted) {
      return `${this.inBytes + length} bytes on stream ${this.id}, over the ${this.granted} bytes of credit granted`;
    }
    this.inBytes += length;
    for (const p of pieces) if (!this.destroyed) this.deliver(p);
    this.returnCredit();
    return undefined;
  }

  /** @internal WINDOW from the peer. Returns a protocol-violation message, or undefined when fine. */
  receiveWindow(increment: number): string | undefined {
    if (this.credit + increment > MAX_STREAM_WINDOW) {
      return `WINDOW on stream ${this.id} raises credit to ${this.credit + increment} bytes, over the ${MAX_STREAM_WINDOW}-byte maximum`;
    }
    this.credit += increment;
    if (this.pending !== undefined) this.deps.wake(this);
    return undefined;
  }

  /** @internal FIN from the peer: end of the readable side; the writable side keeps working. */
  receiveFin(): string | undefined {
    if (!this.receiving) return `second FIN on stream ${this.id}`;
    if (this.state === 'ended-here') this.release();
    else this.state = 'peer-ended';
    this.deliver(null);
    return undefined;
  }

  /** @internal RST from the peer: the stream fails with ClawError('STREAM_RESET'). */
  receiveReset(code: RefusalCode, reason: string): void {
    this.release();
    this.destroy(
      new ClawError(
        'STREAM_RESET',
        `${this.service} stream ${this.id} was reset by the peer: ${reason || 'no reason given'}`,
        { refusal: code, peerReason: reason },
      ),
    );
  }

  /** @internal The link is gone: the stream fails with the link's reason, never ends quietly. */
  abort(error: Error): void {
    this.release();
    this.destroy(error);
  }

  /** True while the peer may still send DATA (no FIN from it, not released). */
  private get receiving(): boolean {
    return this.state === 'open' || this.state === 'ended-here';
  }

  private release(): void {
    if (this.state === 'released') return;
    this.state = 'released';
    this.deps.forget(this);
  }

  private deliver(chunk: Buffer | null): void {
    try {
      this.push(chunk);
    } catch (err) {
      // A 'data' listener threw while we pushed: that is this stream's failure, not the link's.
      this.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Grants the peer what the application consumed, once that reaches window / CREDIT_RETURN_DIVISOR.
   * Invariant: granted − consumed ≤ window, and buffered + in flight = granted − consumed.
   * Auto-tuning runs here, once per half window: only when nothing is left unread (the application, not
   * credit, was waiting) may the window grow, and then by the tuner's verdict on how fast it drained.
   */
  private returnCredit(): void {
    if (!this.receiving) return;
    const buffered = this.readableLength;
    const consumed = this.inBytes - buffered;
    if (consumed + this.window - this.granted < this.window / CREDIT_RETURN_DIVISOR) return;
    const now = performance.now();
    if (buffered === 0) this.window = this.deps.tuneWindow(this.window, now - this.epochStart);
    this.epochStart = now;
    this.grant(consumed + this.window - this.granted);
  }

  private grant(increment: number): void {
    this.granted += increment;
    this.deps.sendControl(encodeFrame({ type: FrameType.Window, streamId: this.id, increment }));
  }
}
