/**
 * The mux as a browser node speaks it (docs/mux-protocol.md, version 2; the agent's is src-main/mux/):
 * streams over one link, each frame one link frame, `version ‖ type ‖ stream u32 ‖ body`. A browser
 * opens streams (odd IDs: it opened the link) and accepts none; it answers PINGs; it returns credit as
 * its reader consumes, and never sends beyond the credit it holds. Everything it reads is checked:
 * a malformed frame ends the link.
 */
import { BrowserNodeError, concat, fromUtf8, REFUSALS, u32, utf8, view } from './bytes.js';

const VERSION = 2;
const F = {
  OPEN: 1,
  ACCEPT: 2,
  REJECT: 3,
  DATA: 4,
  WINDOW: 5,
  FIN: 6,
  RST: 7,
  PING: 8,
  PONG: 9,
  GOAWAY: 10,
  ACKED: 12,
} as const;
const MAX_DATA = 64 * 1024;
export const INITIAL_WINDOW = 256 * 1024;
const MAX_WINDOW = 16 * 1024 * 1024;

/** What the mux needs of a link: whole frames in order both ways. */
export interface FrameLink {
  send(frame: Uint8Array): void;
  onFrame(listener: (frame: Uint8Array) => void): void;
  onClose(listener: (reason: string, refusal?: string) => void): void;
  close(reason: string): void;
}

const frame = (type: number, id: number, body: Uint8Array = new Uint8Array(0)) =>
  concat(Uint8Array.of(VERSION, type), u32(id), body);

export class MuxStream {
  private dataListener: ((bytes: Uint8Array) => void) | undefined;
  private readonly endListeners: ((error?: BrowserNodeError) => void)[] = [];
  private readonly held: Uint8Array[] = [];
  /** Credit this side may still send, and bytes consumed not yet credited back. */
  credit = INITIAL_WINDOW;
  private uncredited = 0;
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
    this.mux.sendFrame(frame(F.DATA, this.id, bytes));
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListener = listener;
    for (const b of this.held.splice(0)) this.deliver(b);
  }

  /** Called once the stream is over: cleanly (both FINs), or with why it failed. */
  onEnd(listener: (error?: BrowserNodeError) => void): void {
    if (this.done) listener();
    else this.endListeners.push(listener);
  }

  end(): void {
    if (this.done || this.finSent) return;
    this.finSent = true;
    this.mux.sendFrame(frame(F.FIN, this.id));
    if (this.finReceived) this.finish();
  }

  reset(reason: string): void {
    if (this.done) return;
    this.mux.sendFrame(frame(F.RST, this.id, concat(Uint8Array.of(0, 10), utf8(reason.slice(0, 200)))));
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
    this.uncredited += bytes.length;
    if (this.uncredited >= INITIAL_WINDOW / 2 && !this.finReceived) {
      this.mux.sendFrame(frame(F.WINDOW, this.id, u32(this.uncredited)));
      this.receiveRoom += this.uncredited;
      this.uncredited = 0;
    }
  }

  /** @internal */
  finish(error?: BrowserNodeError): void {
    if (this.done) return;
    this.done = true;
    this.mux.forget(this.id);
    for (const l of this.endListeners.splice(0)) l(error);
  }
}

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

  constructor(private readonly link: FrameLink) {
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
    const name = utf8(service);
    const body = concat(Uint8Array.of(name.length), name, utf8(JSON.stringify(args)));
    const stream = new MuxStream(this, id);
    return new Promise((resolve, reject) => {
      this.opening.set(id, { resolve, reject, stream });
      this.sendFrame(frame(F.OPEN, id, body));
    });
  }

  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.sendFrame(frame(F.GOAWAY, 0, utf8(reason.slice(0, 200))));
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
    if (bytes.length < 6 || bytes[0] !== VERSION) throw new Error('bad mux frame header');
    const type = bytes[1]!;
    const id = view(bytes).getUint32(2);
    const body = bytes.subarray(6);
    if (type === F.PING) {
      if (id !== 0 || body.length !== 8) throw new Error('bad PING');
      return this.sendFrame(frame(F.PONG, 0, body));
    }
    if (type === F.PONG) return;
    if (type === F.GOAWAY) return this.ended(`the device closed the link: ${fromUtf8(body)}`);
    if (id === 0) throw new Error(`frame type ${type} on stream 0`);
    if (type === F.OPEN) return this.inbound(id, body);
    if (id % 2 === 0 ? id > this.lastInbound : id >= this.nextId) {
      throw new Error(`frame for stream ${id} that was never opened`);
    }
    const opening = this.opening.get(id);
    if (opening) return this.answer(opening, type, body);
    const stream = this.streams.get(id);
    // A frame for a finished stream crossed its end on the wire: dropped (mux-protocol.md §Stream IDs).
    if (!stream) return;
    switch (type) {
      case F.DATA:
        if (body.length === 0 || body.length > MAX_DATA) throw new Error('bad DATA size');
        if (stream.finReceived) throw new Error('DATA after FIN');
        if (body.length > stream.receiveRoom) throw new Error('DATA beyond the credit given');
        stream.receiveRoom -= body.length;
        return stream.deliver(body);
      case F.WINDOW: {
        if (body.length !== 4) throw new Error('bad WINDOW');
        const more = view(body).getUint32(0);
        if (more === 0 || more > 0x7fffffff) throw new Error('bad WINDOW increment');
        stream.credit += more;
        if (stream.credit > MAX_WINDOW + INITIAL_WINDOW) throw new Error('credit beyond the largest window');
        return stream.flush();
      }
      case F.FIN:
        if (body.length !== 0 || stream.finReceived) throw new Error('bad FIN');
        stream.finReceived = true;
        if (stream.finSent) stream.finish();
        return;
      case F.RST: {
        if (body.length < 2) throw new Error('bad RST');
        const code = REFUSALS[view(body).getUint16(0)] ?? 'UNSPECIFIED';
        return stream.finish(new BrowserNodeError('STREAM_RESET', fromUtf8(body.subarray(2)) || code, code));
      }
      case F.ACKED:
        if (body.length !== 8) throw new Error('bad ACKED');
        return;
      default:
        throw new Error(`frame type ${type} not expected on an open stream`);
    }
  }

  /**
   * The device opens one stream itself: its `control` stream, whose OPEN carries its hello and later its
   * grants (docs/protocol.md §Mux). It is accepted and read to nothing; any other service is refused.
   */
  private inbound(id: number, body: Uint8Array): void {
    if (id % 2 !== 0 || id <= this.lastInbound) throw new Error(`OPEN of stream ${id} out of order`);
    this.lastInbound = id;
    if (body.length < 1 || body.length < 1 + body[0]!) throw new Error('bad OPEN');
    const service = fromUtf8(body.subarray(1, 1 + body[0]!));
    if (service !== 'control' || this.inboundControl) {
      const reason = utf8(`a browser node serves no ${service}`);
      return this.sendFrame(frame(F.REJECT, id, concat(Uint8Array.of(0, 4), reason)));
    }
    this.inboundControl = true;
    const stream = new MuxStream(this, id);
    this.streams.set(id, stream);
    stream.onData(() => undefined);
    this.sendFrame(frame(F.ACCEPT, id));
  }

  private answer(opening: Opening, type: number, body: Uint8Array): void {
    const id = opening.stream.id;
    this.opening.delete(id);
    if (type === F.ACCEPT) {
      if (body.length !== 0) throw new Error('bad ACCEPT');
      this.streams.set(id, opening.stream);
      return opening.resolve(opening.stream);
    }
    if (type === F.REJECT || type === F.RST) {
      if (body.length < 2) throw new Error('bad REJECT');
      const refusal = REFUSALS[view(body).getUint16(0)] ?? 'UNSPECIFIED';
      return opening.reject(
        new BrowserNodeError('STREAM_REJECTED', fromUtf8(body.subarray(2)) || refusal, refusal),
      );
    }
    throw new Error(`frame type ${type} before the answer to an OPEN`);
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
