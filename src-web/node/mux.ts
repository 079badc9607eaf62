/**
 * The mux as a browser node runs it (docs/mux-protocol.md; the agent's is src-main/mux/): streams over
 * one link, each frame one link frame, encoded and checked by the agent's own codec
 * (protocol/mux-frames.ts, ADR 0116). A browser opens streams (odd IDs: it opened the link) and accepts
 * the device's control stream, and the services its owner serves (a code's receiver: `files`); it
 * answers PINGs; it returns credit as its reader consumes (or, for a reader that says so, as it says it
 * consumed), and never sends beyond the credit it holds. A malformed frame ends the link.
 */
import type { RefusalCode } from '../../src-main/core/refusal-codes.js';
import { BrowserNodeError } from './bytes.js';
import {
  decodeFrame,
  encodeFrame,
  FrameType as F,
  INITIAL_STREAM_WINDOW as INITIAL_WINDOW,
  MAX_DATA_PAYLOAD as MAX_DATA,
  MAX_STREAM_WINDOW as MAX_WINDOW,
  type MuxFrame,
} from '../../src-main/protocol/mux-frames.js';

export { INITIAL_WINDOW };

/** What the mux needs of a link: whole frames in order both ways. */
export interface FrameLink {
  send(frame: Uint8Array): void;
  onFrame(listener: (frame: Uint8Array) => void): void;
  onClose(listener: (reason: string, refusal?: string) => void): void;
  close(reason: string): void;
}

export class MuxStream {
  private dataListener: ((bytes: Uint8Array) => void) | undefined;
  private readonly endListeners: ((error?: BrowserNodeError) => void)[] = [];
  private readonly held: Uint8Array[] = [];
  /** Credit this side may still send, and bytes consumed not yet credited back. */
  credit = INITIAL_WINDOW;
  private uncredited = 0;
  /** Whether credit goes back only when the reader says it consumed (`consumed`), not on delivery. */
  private manualCredit = false;
  /** Bytes the peer may still send before it must wait for our WINDOW. */
  receiveRoom = INITIAL_WINDOW;
  private pending: Uint8Array[] = [];
  finReceived = false;
  finSent = false;
  done = false;

  constructor(
    private readonly mux: BrowserMux,
    readonly id: number,
  ) {}

  /** Sends bytes, held until credit allows (terminal input is small; this never grows far). */
  write(bytes: Uint8Array): void {
    if (this.done || this.finSent) return;
    for (let at = 0; at < bytes.length; at += MAX_DATA) this.pending.push(bytes.subarray(at, at + MAX_DATA));
    this.flush();
  }

  /** @internal */
  flush(): void {
    while (this.pending.length > 0 && !this.done) {
      const next = this.pending[0]!;
      if (next.length > this.credit) {
        if (this.credit === 0) return;
        this.pending[0] = next.subarray(this.credit);
        this.send(next.subarray(0, this.credit));
        continue;
      }
      this.pending.shift();
      this.send(next);
    }
  }

  private send(bytes: Uint8Array): void {
    this.credit -= bytes.length;
    this.mux.sendFrame(encodeFrame({ type: F.Data, streamId: this.id, payload: bytes }));
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListener = listener;
    for (const b of this.held.splice(0)) this.deliver(b);
  }

  /**
   * As onData, but credit goes back only as `consumed` says: a reader that hands bytes on to something
   * slower (a download written to disk) holds the device to what it can take, never buffering more
   * than the window. `window` (at most the mux's largest) is granted at once beyond the initial one.
   */
  onDataHeld(listener: (bytes: Uint8Array) => void, window = INITIAL_WINDOW): void {
    this.manualCredit = true;
    const more = Math.min(window, MAX_WINDOW) - INITIAL_WINDOW;
    if (more > 0) this.credit_(more);
    this.onData(listener);
  }

  /** Bytes of an onDataHeld reader's that are consumed now: credited back once half the window is owed. */
  consumed(bytes: number): void {
    this.uncredited += bytes;
    if (this.uncredited >= INITIAL_WINDOW / 2 && !this.finReceived) this.credit_(0);
  }

  private credit_(extra: number): void {
    const increment = this.uncredited + extra;
    this.mux.sendFrame(encodeFrame({ type: F.Window, streamId: this.id, increment }));
    this.receiveRoom += increment;
    this.uncredited = 0;
  }

  /** Called once the stream is over: cleanly (both FINs), or with why it failed. */
  onEnd(listener: (error?: BrowserNodeError) => void): void {
    if (this.done) listener();
    else this.endListeners.push(listener);
  }

  end(): void {
    if (this.done || this.finSent) return;
    this.finSent = true;
    this.mux.sendFrame(encodeFrame({ type: F.Fin, streamId: this.id }));
    if (this.finReceived) this.finish();
  }

  /** Resets the stream: CANCELLED unless said otherwise (a code's receiver resets without cancelling). */
  reset(reason: string, code: RefusalCode = 'CANCELLED'): void {
    if (this.done) return;
    this.mux.sendFrame(encodeFrame({ type: F.Rst, streamId: this.id, code, reason }));
    this.finish(new BrowserNodeError('STREAM_RESET', reason));
  }

  /** @internal */
  deliver(bytes: Uint8Array): void {
    if (!this.dataListener) {
      this.held.push(bytes.slice());
      return;
    }
    this.dataListener(bytes);
    // Credit goes back as the reader consumes, once half the window is owed (mux-protocol.md rule 3).
    if (!this.manualCredit) this.consumed(bytes.length);
  }

  /** @internal */
  finish(error?: BrowserNodeError): void {
    if (this.done) return;
    this.done = true;
    this.mux.forget(this.id);
    for (const l of this.endListeners.splice(0)) l(error);
  }
}

/**
 * What a browser node serves on a link beyond the device's control stream: for a service and its OPEN
 * arguments, the handler of the accepted stream, or a reason to refuse it.
 */
export type InboundServices = (service: string, args: unknown) => ((stream: MuxStream) => void) | string;

interface Opening {
  resolve(stream: MuxStream): void;
  reject(error: BrowserNodeError): void;
  stream: MuxStream;
}

export class BrowserMux {
  private nextId = 1;
  /** The last stream ID the device opened (even: it accepted the link). */
  private lastInbound = 0;
  private inboundControl = false;
  private readonly streams = new Map<number, MuxStream>();
  private readonly opening = new Map<number, Opening>();
  private closedWith: string | undefined;
  private readonly closeListeners: ((reason: string, refusal?: string) => void)[] = [];

  constructor(
    private readonly link: FrameLink,
    private readonly serve?: InboundServices,
  ) {
    link.onFrame((f) => this.onFrame(f));
    link.onClose((reason, refusal) => this.ended(reason, refusal));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** `refusal`: the device's refusal code when it ended the link refusing this browser (REMOVED, …). */
  onClose(listener: (reason: string, refusal?: string) => void): void {
    if (this.closedWith !== undefined) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }

  /**
   * Opens a stream to `service` with OPEN arguments `args`. @throws (rejects) BrowserNodeError
   * ('STREAM_REJECTED') with the peer's reason and its refusal code, or ('LINK_CLOSED').
   */
  open(service: string, args: unknown): Promise<MuxStream> {
    if (this.closedWith !== undefined)
      return Promise.reject(new BrowserNodeError('LINK_CLOSED', this.closedWith));
    const id = this.nextId;
    this.nextId += 2;
    const open = encodeFrame({ type: F.Open, streamId: id, service, args });
    const stream = new MuxStream(this, id);
    return new Promise((resolve, reject) => {
      this.opening.set(id, { resolve, reject, stream });
      this.sendFrame(open);
    });
  }

  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.sendFrame(encodeFrame({ type: F.GoAway, streamId: 0, reason }));
    this.link.close(reason);
    this.ended(reason);
  }

  /** @internal */
  sendFrame(f: Uint8Array): void {
    if (this.closedWith === undefined) this.link.send(f);
  }
  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private onFrame(bytes: Uint8Array): void {
    try {
      this.handle(bytes);
    } catch (err) {
      const reason = `mux protocol error: ${(err as Error).message}`;
      this.link.close(reason);
      this.ended(reason);
    }
  }

  private handle(bytes: Uint8Array): void {
    const f = decodeFrame(bytes);
    if (f.type === F.Ping) return this.sendFrame(encodeFrame({ type: F.Pong, streamId: 0, nonce: f.nonce }));
    if (f.type === F.Pong) return;
    if (f.type === F.GoAway) return this.ended(`the device closed the link: ${f.reason}`);
    const id = f.streamId;
    if (f.type === F.Open) return this.inbound(id, f.service, f.args);
    if (id % 2 === 0 ? id > this.lastInbound : id >= this.nextId) {
      throw new Error(`frame for stream ${id} that was never opened`);
    }
    const opening = this.opening.get(id);
    if (opening) return this.answer(opening, f);
    const stream = this.streams.get(id);
    // A frame for a finished stream crossed its end on the wire: dropped (mux-protocol.md §Stream IDs).
    if (!stream) return;
    switch (f.type) {
      case F.Data:
        if (stream.finReceived) throw new Error('DATA after FIN');
        if (f.payload.length > stream.receiveRoom) throw new Error('DATA beyond the credit given');
        stream.receiveRoom -= f.payload.length;
        return stream.deliver(f.payload);
      case F.Window:
        stream.credit += f.increment;
        if (stream.credit > MAX_WINDOW + INITIAL_WINDOW) throw new Error('credit beyond the largest window');
        return stream.flush();
      case F.Fin:
        if (stream.finReceived) throw new Error('second FIN');
        stream.finReceived = true;
        if (stream.finSent) stream.finish();
        return;
      case F.Rst:
        return stream.finish(new BrowserNodeError('STREAM_RESET', f.reason || f.code, f.code));
      case F.Acked:
        return;
      default:
        throw new Error(`frame type ${f.type} not expected on an open stream`);
    }
  }

  /**
   * The device opens its `control` stream, whose OPEN carries its hello and later its grants
   * (docs/protocol.md §Mux): accepted and read to nothing. Another service is what `serve` says of it
   * (a code's receiver takes `files`); with no `serve`, refused.
   */
  private inbound(id: number, service: string, args: unknown): void {
    if (id % 2 !== 0 || id <= this.lastInbound) throw new Error(`OPEN of stream ${id} out of order`);
    this.lastInbound = id;
    if (service !== 'control' && this.serve) {
      const handler = this.serve(service, args);
      if (typeof handler === 'string')
        return this.sendFrame(
          encodeFrame({ type: F.Reject, streamId: id, code: 'BAD_REQUEST', reason: handler }),
        );
      const stream = new MuxStream(this, id);
      this.streams.set(id, stream);
      this.sendFrame(encodeFrame({ type: F.Accept, streamId: id }));
      return handler(stream);
    }
    if (service !== 'control' || this.inboundControl) {
      const reason = `a browser node serves no ${service}`;
      return this.sendFrame(encodeFrame({ type: F.Reject, streamId: id, code: 'UNKNOWN_SERVICE', reason }));
    }
    this.inboundControl = true;
    const stream = new MuxStream(this, id);
    this.streams.set(id, stream);
    stream.onData(() => undefined);
    this.sendFrame(encodeFrame({ type: F.Accept, streamId: id }));
  }

  private answer(opening: Opening, f: MuxFrame): void {
    const id = opening.stream.id;
    this.opening.delete(id);
    if (f.type === F.Accept) {
      this.streams.set(id, opening.stream);
      return opening.resolve(opening.stream);
    }
    if (f.type === F.Reject || f.type === F.Rst) {
      return opening.reject(new BrowserNodeError('STREAM_REJECTED', f.reason || f.code, f.code));
    }
    throw new Error(`frame type ${f.type} before the answer to an OPEN`);
  }

  private ended(reason: string, refusal?: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const o of this.opening.values()) o.reject(new BrowserNodeError('LINK_CLOSED', reason, refusal));
    this.opening.clear();
    for (const s of [...this.streams.values()])
      s.finish(new BrowserNodeError('LINK_CLOSED', reason, refusal));
    for (const l of this.closeListeners.splice(0)) l(reason, refusal);
  }
}
