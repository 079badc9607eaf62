/**
 * A byte stream that outlives its link (ADR 0023, docs/mux-protocol.md "Resumable streams"): a Duplex the
 * forward code splices with instead of the bare MuxStream. It carries its bytes on one MuxStream at a time
 * (the *carrier*); when the carrier dies with its link (LINK_CLOSED, not the peer application's RST), the
 * stream does not end: it waits for a carrier on the peer's next link and both sides send again what the
 * other has not received, so nothing is lost, duplicated or reordered.
 *
 * - Send side: every chunk written is kept (large ones as copies, or as read into slabs by an exit;
 *   retained-bytes.ts says why) until the peer's ACKED frame says it received it. The receiver acks
 *   every ackStep() bytes (an eighth of its receive window, at least ACK_STEP_BYTES) and within
 *   ACK_DELAY_MS, or sooner with the next DATA it sends, so what is kept stays within 1⅛ of the
 *   stream's window: a sender never has more in flight than the credit it was given.
 * - Receive side: bytes taken from the carrier are counted (`received`); that count, not WINDOW credit
 *   (auto-tuning grows credit without consumption), is what ACKED reports and where a resume starts.
 * - FIN goes on the carrier only once everything written was acked, so a stream the mux finished (and
 *   forgot) never has bytes its peer still lacks.
 * - Resume: the opener re-opens with its `received` (in the `stream-resume` OPEN arguments, resume/); the
 *   acceptor answers with ACKED(its `received`) as the first frame; each resends from the other's offset.
 *   An offset outside what is kept ends the stream with a reason.
 * - A stream detached for `resumeMs` ends with an error (splice() then resets the local TCP socket).
 */
import { Duplex } from 'node:stream';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import {
  ACK_DELAY_MS,
  ackStep,
  followCarrier,
  RESUMABLE_HIGH_WATER_BYTES,
  type Carried,
  type Carrier,
  type CarrierState,
  type ResumableOptions,
} from './resumable-carrier.js';
import { RetainedBytes } from './retained-bytes.js';

export {
  ACK_DELAY_MS,
  ACK_STEP_BYTES,
  ACK_WINDOW_DIVISOR,
  ackStep,
  answerFinished,
  RESUMABLE_HIGH_WATER_BYTES,
  type Carried,
  type Carrier,
  type ResumableOptions,
} from './resumable-carrier.js';

/** Pause between two attempts of `reopen`, in ms. */
const REOPEN_RETRY_MS = 250;

export class ResumableStream extends Duplex {
  private state: CarrierState = { name: 'detached', deadline: undefined };
  /** Written bytes the peer has not acked (retained-bytes.ts); `acked` is the offset of the first. */
  private readonly retained = new RetainedBytes();
  private acked = 0;
  private written = 0;
  private received = 0;
  private ackSent = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  /** A write waiting for the carrier's drain (or for a carrier). */
  private pendingCallback: ((error?: Error | null) => void) | undefined;
  /** _final's callback, waiting for every byte to be acked before FIN. */
  private finalCallback: ((error?: Error | null) => void) | undefined;
  /** The application ended its side: FIN goes once the peer has every byte. */
  private ending = false;
  /** The peer's FIN came: the readable side ended. */
  private peerEnded = false;
  /** A receive window asked for (a UDP flow's), given to every carrier this stream gets. */
  private receiveWindow: number | undefined;

  constructor(
    carried: Carried,
    private readonly opts: ResumableOptions,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: RESUMABLE_HIGH_WATER_BYTES,
      writableHighWaterMark: RESUMABLE_HIGH_WATER_BYTES,
    });
    this.attach(carried, 0);
    // After attach: these are on the carrier already, so attach must not count them as a resend.
    for (const chunk of opts.sentEarly ?? []) {
      this.retained.push(chunk);
      this.written += chunk.length;
    }
  }

  /** Payload bytes written to the peer (including those sent with the OPEN). */
  get bytesOut(): number {
    return this.written;
  }

  /** Payload bytes received from the peer over every carrier. */
  get receivedBytes(): number {
    return this.received;
  }

  /** True once both directions ended cleanly (the stream closed without an error). */
  get completed(): boolean {
    return this.peerEnded && this.writableFinished && !this.errored;
  }

  /** Bytes kept for a resend (written, not yet acked by the peer). */
  get retainedBytes(): number {
    return this.written - this.acked;
  }

  /**
   * Raises the receive window of the carrier and of every later one (MuxStream.raiseReceiveWindow), so
   * a stream that needs a larger window (a UDP flow's) keeps it across a resume.
   */
  raiseReceiveWindow(bytes: number): void {
    this.receiveWindow = bytes;
    this.carrier?.raiseReceiveWindow(bytes);
  }

  /** True while no carrier is attached (the link died, a resume is awaited). */
  get detached(): boolean {
    return this.state.name === 'detached' && !this.destroyed;
  }

  /** The carrier, awaiting the peer's offset or attached. */
  private get carrier(): Carrier | undefined {
    const state = this.state;
    return state.name === 'attached' || state.name === 'awaiting-offset' ? state.carrier : undefined;
  }

  /** The carrier bytes may be written on now: attached, its peer's offset known. */
  private get attached(): Extract<CarrierState, { name: 'attached' }> | undefined {
    return this.state.name === 'attached' ? this.state : undefined;
  }

  /**
   * Puts the stream on `carrier`. `peerReceived`: the peer's offset when known (acceptor side, from the
   * resume request; 0 for a new stream); undefined on the opener side, which waits for the peer's ACKED.
   * A carrier still attached is dropped first (the peer resumed before this side noticed the old link die).
   */
  attach(carried: Carried, peerReceived: number | undefined): void {
    const carrier = carried.stream;
    if (this.destroyed) {
      carrier.destroy(new ClawError('STREAM_RESET', 'the stream to resume has already ended'));
      return;
    }
    const resumed = this.carrier !== undefined || this.written > 0 || this.received > 0;
    if (this.carrier) this.detachCarrier(new ClawError('STREAM_RESET', 'the stream resumed on another link'));
    if (this.state.name === 'detached') clearTimeout(this.state.deadline);
    if (this.receiveWindow !== undefined) carrier.raiseReceiveWindow(this.receiveWindow);
    const unfollow = followCarrier(carrier, {
      data: (chunk) => this.onData(carrier, chunk),
      acked: (offset) => this.onAcked(offset),
      end: () => this.onPeerEnd(),
      gone: (err) => this.onCarrierGone(carrier, err),
    });
    const held = { carrier, confirm: carried.confirm, unfollow };
    this.state =
      peerReceived === undefined
        ? { name: 'awaiting-offset', ...held }
        : { name: 'attached', ...held, finSent: false };
    if (peerReceived === undefined) {
      // The peer's answer may have come with its ACCEPT, before this side listened.
      if (carrier.peerAcked !== undefined) this.onAcked(carrier.peerAcked);
      return;
    }
    // The acceptor's first frame on a resumed carrier says where the opener resends from.
    if (resumed) {
      this.ackSent = this.received;
      carrier.sendAcked(this.received);
    }
    this.resendFrom(peerReceived);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (chunk.length === 0) return callback();
    this.retained.push(chunk);
    this.written += chunk.length;
    const carrier = this.attached?.carrier;
    if (!carrier) {
      this.pendingCallback = callback;
      return;
    }
    // An ACKED owed for what was received goes now, with this DATA (one record for both), instead of
    // on its own when the timer fires: a reply carries the ack of its request, and the requester's
    // FIN (which waits for that ack) need not wait for the timer.
    if (this.ackTimer !== undefined) this.sendAck();
    if (carrier.write(chunk)) callback();
    else this.waitDrain(carrier, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ending = true;
    this.finalCallback = callback;
    this.maybeFin();
  }

  override _read(): void {
    const carrier = this.carrier;
    if (carrier?.isPaused()) carrier.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.ackTimer);
    const state = this.state;
    if (state.name === 'detached') clearTimeout(state.deadline);
    if (state.name === 'attached' || state.name === 'awaiting-offset') {
      const { carrier } = state;
      state.unfollow();
      // A stream that finished both ways lets its carrier close by itself (after a resume the peer's
      // FIN may still be on its way); otherwise the carrier's RST carries the reason (or says
      // "cancelled"), so the peer's half ends now instead of waiting for a resume.
      const finished = this.peerEnded && state.name === 'attached' && state.finSent;
      if (!carrier.destroyed && (error || !finished)) carrier.destroy(error ?? undefined);
      else carrier.resume();
    }
    this.state = { name: 'ended' };
    this.retained.clear();
    this.pendingCallback = undefined;
    this.finalCallback = undefined;
    callback(error);
  }

  private onData(carrier: Carrier, chunk: Buffer): void {
    this.received += chunk.length;
    // Before the push: a reader that answers at once, inside push, finds the ack owed and sends it
    // with its answer (_write).
    if (this.received - this.ackSent >= ackStep(carrier.receiveWindowSize)) this.sendAck();
    else this.ackTimer ??= setTimeout(() => this.sendAck(), ACK_DELAY_MS);
    if (!this.push(chunk)) carrier.pause();
  }

  private sendAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const carrier = this.attached?.carrier;
    if (!carrier || this.received === this.ackSent) return;
    this.ackSent = this.received;
    carrier.sendAcked(this.received);
  }

  private onAcked(offset: number): void {
    const state = this.state;
    if (state.name === 'awaiting-offset') {
      this.state = { ...state, name: 'attached', finSent: false };
      this.resendFrom(offset);
      this.sendAck();
      return;
    }
    if (offset < this.acked || offset > this.written) {
      this.destroy(
        new ClawError(
          'PROTOCOL',
          `the peer acknowledged byte ${offset} of a stream that has sent ${this.written} and kept from ${this.acked}`,
        ),
      );
      return;
    }
    this.release(offset);
    this.maybeFin();
  }

  /** Forgets what is kept up to `offset`, which the peer acknowledged. */
  private release(offset: number): void {
    this.retained.drop(offset - this.acked);
    this.acked = offset;
  }

  /** Sends again everything kept from the peer's offset on, then lets writing go on. */
  private resendFrom(peerReceived: number): void {
    const carrier = this.carrier!;
    if (peerReceived < this.acked || peerReceived > this.written) {
      this.destroy(
        new ClawError(
          'STREAM_RESET',
          `cannot resume: the peer has received ${peerReceived} bytes, but this side keeps bytes ${this.acked}..${this.written} only`,
        ),
      );
      return;
    }
    this.release(peerReceived);
    let ok = true;
    for (const chunk of this.retained.views()) ok = carrier.write(chunk);
    const callback = this.pendingCallback;
    this.pendingCallback = undefined;
    if (callback) {
      if (ok) callback();
      else this.waitDrain(carrier, callback);
    }
    this.maybeFin();
  }

  private waitDrain(carrier: Carrier, callback: (error?: Error | null) => void): void {
    this.pendingCallback = callback;
    const onDrain = () => {
      if (this.carrier !== carrier) return;
      const cb = this.pendingCallback;
      this.pendingCallback = undefined;
      cb?.();
    };
    carrier.once('drain', onDrain);
  }

  /** FIN once the application ended and the peer has every byte; again on each new carrier. */
  private maybeFin(): void {
    const state = this.attached;
    if (!this.ending || !state || state.finSent) return;
    if (this.acked < this.written) return;
    state.finSent = true;
    const { carrier, confirm } = state;
    // 'finish' only once the carrier's FIN is on the link: finishing earlier could let this stream
    // close (and reset the carrier) before its FIN went out.
    carrier.end(() => {
      if (this.carrier !== carrier) return;
      const finish = () => {
        if (this.carrier !== carrier) return;
        const callback = this.finalCallback;
        this.finalCallback = undefined;
        callback?.();
      };
      if (!confirm) return finish();
      confirm().then(finish, (err: unknown) =>
        this.onCarrierGone(
          carrier,
          new ClawError(
            'LINK_CLOSED',
            `the link died before the stream's end reached the peer: ${errorMessage(err)}`,
          ),
        ),
      );
    });
  }

  private onPeerEnd(): void {
    this.sendAck();
    if (this.peerEnded) return;
    this.peerEnded = true;
    this.push(null);
  }

  private onCarrierGone(carrier: Carrier, err: Error | undefined): void {
    if (this.carrier !== carrier) return;
    // Both directions finished on the wire: nothing left to resume.
    if (!err && carrier.readableEnded && carrier.writableFinished) return;
    if (err && !isClawError(err, 'LINK_CLOSED')) {
      // The peer's application reset the stream (or the carrier broke otherwise): that is the end.
      this.destroy(err);
      return;
    }
    this.detachCarrier(undefined);
    this.opts.onEvent?.('detached', err?.message ?? 'carrier closed');
    const deadline = setTimeout(() => {
      this.destroy(
        new ClawError(
          'LINK_CLOSED',
          `the link was lost and the stream could not resume within ${Math.round(this.opts.resumeMs / 1000)} s`,
        ),
      );
    }, this.opts.resumeMs);
    deadline.unref?.();
    this.state = { name: 'detached', deadline };
    if (this.opts.reopen) this.reopen(this.opts.reopen);
  }

  /** Detaches the current carrier; `reason` destroys it (a takeover), undefined leaves it to its end. */
  private detachCarrier(reason: Error | undefined): void {
    const state = this.state;
    if (state.name !== 'attached' && state.name !== 'awaiting-offset') return;
    const { carrier } = state;
    this.state = { name: 'detached', deadline: undefined };
    state.unfollow();
    if (reason && !carrier.destroyed) carrier.destroy(reason);
  }

  private reopen(open: (received: number) => Promise<Carried>): void {
    if (this.destroyed || this.carrier) return;
    open(this.received).then(
      (carried) => {
        this.opts.onEvent?.('resumed', `at byte ${this.received} received`);
        this.attach(carried, undefined);
      },
      (err: unknown) => {
        if (this.destroyed || this.carrier) return;
        if (refusalOf(err) === 'SESSION_GONE') {
          this.destroy(new ClawError('STREAM_RESET', `cannot resume: ${errorMessage(err)}`));
          return;
        }
        setTimeout(() => this.reopen(open), REOPEN_RETRY_MS).unref?.();
      },
    );
  }
}
