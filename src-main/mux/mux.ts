/**
 * Many streams over one Link (architecture.md §Mux, docs/mux-protocol.md): OPEN with a service name and arguments,
 * ACCEPT / REJECT with a reason, DATA under per-stream credit, FIN half-close, RST, PING, GOAWAY.
 * Stream IDs never collide: the link's initiator opens odd IDs, the other side even ones, each increasing.
 * Anything malformed or out of protocol from the peer closes the link with a clear error (fail closed);
 * nothing throws out of the link's frame listener.
 */
import { Emitter, type Disposer } from '../core/emitter.js';
import { ClawError, errorMessage, isClawError, refusalOf } from '../core/errors.js';
import {
  decodeDataPieces,
  decodeFrame,
  encodeData,
  encodeDataHeader,
  encodeFrame,
  FrameType,
  frameTypeName,
  MUX_HEADER_BYTES,
  streamIdOf,
  type MuxFrame,
} from '../protocol/mux-frames.js';
import type { Link, PartsLink, PiecesLink } from '../transport/link.js';
import { releaseReceived } from '../transport/receive-slabs.js';
import type { Readable } from 'node:stream';
import { MAX_DATA_PAYLOAD } from '../protocol/mux-frames.js';
import {
  DEFAULT_DEAD_AFTER_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_OPEN_TIMEOUT_MS,
  DEFAULT_PING_TIMEOUT_MS,
  RTO_CAP_MS,
  RTO_FLOOR_MS,
} from './constants.js';
import { streamBurst } from './data-burst.js';
import { EARLY_DATA_BYTES, EarlyHold, readEarly } from './early-data.js';
import { receiveOpen, type Inbound, type InboundDeps } from './inbound.js';
import { FlightWindow } from './flight.js';
import { Heartbeat } from './heartbeat.js';
import { SendQueue } from './send-queue.js';
import { MuxStream, type StreamDeps } from './stream.js';
import { QUIET_LANE_SERVICES } from './priority.js';
import { LinkEnding } from './link-ending.js';
import { QuietLane } from './quiet-lane.js';
import { isLaneId, laneMismatch, StreamIds } from './stream-ids.js';
import { resolveStreamWindows, WindowTuner } from './window-tuner.js';

import type { MuxEvents, MuxOptions } from './types.js';
import { DisposableStore } from '../core/disposables.js';

export { MuxStream } from './stream.js';
export type { MuxEvents, MuxLogger, MuxOptions, StreamRequest } from './types.js';
export type { PartsLink } from '../transport/link.js';

interface Opening {
  service: string;
  args: unknown;
  timer: NodeJS.Timeout;
  resolve(stream: MuxStream): void;
  reject(error: Error): void;
  /** Bytes sent before ACCEPT (early-data.ts), kept to give back to `source` on a refusal. */
  early: Buffer[];
  earlyBytes: number;
  /** Where early bytes came from, and how to stop reading it. */
  source?: Readable;
  stopEarly?: () => void;
}

/** Options of `Mux.open`. */
export interface OpenOptions {
  /** Milliseconds to wait for ACCEPT / REJECT (default DEFAULT_OPEN_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * Send what this source has (up to EARLY_DATA_BYTES) with the OPEN, before the ACCEPT (early-data.ts);
   * only to a peer whose hello lists FEATURE_EARLY_DATA. The bytes taken are the stream's first bytes;
   * on a refusal they are put back into the source. Read the source from the stream's opening on.
   */
  early?: Readable;
}

export class Mux {
  private readonly events = new Emitter<MuxEvents>();
  private readonly streams = new Map<number, MuxStream>();
  private readonly opening = new Map<number, Opening>();
  private readonly inbound = new Map<number, Inbound>();
  /** What answering the peer's OPENs needs of this mux (inbound.ts). */
  private readonly inboundHost: InboundDeps = {
    inbound: this.inbound,
    peerStreamCount: () => this.peerStreams,
    isClosed: () => this.isClosed,
    peer: () => this.log.peer,
    send: (frame) => void this.send(frame),
    startStream: (id, service, args) => {
      const stream = new MuxStream(this.deps, id, service, args, this.window);
      this.streams.set(id, stream);
      this.peerStreams++;
      this.countUse(stream);
      stream.start();
      return stream;
    },
    onStream: () => this.opts.onStream,
    warn: (details, message) => this.opts.logger?.warn({ ...this.log, ...details }, message),
  };
  /** Bytes in flight on the link, capped near what the path needs (flight.ts). */
  private readonly flight = new FlightWindow({
    sendProbe: (nonce) => void this.send(encodeFrame({ type: FrameType.Ping, streamId: 0, nonce })),
    wake: (afterMs) => this.wakeAfter(afterMs),
  });
  /** Pending wake-up of the DATA scheduler for pacing (flight.ts), if any. */
  private paceTimer: NodeJS.Timeout | undefined;
  private readonly queue = new SendQueue<MuxStream>(
    (streamId, payload) => this.sendData(streamId, payload),
    this.flight,
  );
  /** The quiet lane's DATA (quiet-lane.ts): its own connection, so neither the flight cap nor main's backpressure holds it. */
  private readonly laneQueue = new SendQueue<MuxStream>((streamId, payload) =>
    this.sendData(streamId, payload),
  );
  private lane: QuietLane | undefined;
  /** How the link ends when its two connections end one after the other (link-ending.ts). */
  private readonly ending = new LinkEnding({
    mainOpen: () => !this.link.closed,
    laneOpen: () => this.lane?.usable === true,
    closeByPeer: (error) => this.closeByPeer(error),
    fail: (error) => this.fail(error),
  });
  /** The link's two-part send (SocketLink, E2ELink): DATA payloads are then never copied here. */
  private readonly sendParts: PartsLink['sendParts'] | undefined;
  private readonly heartbeat: Heartbeat;
  private readonly deps: StreamDeps;
  private readonly window: number;
  private readonly tuner: WindowTuner;
  private readonly disposables = new DisposableStore();
  private readonly log: { peer: string; path: string };
  private readonly ids: StreamIds;
  private peerStreams = 0;
  private isClosed = false;
  /** Streams open now whose opening and DATA count as use (MuxOptions.countsAsUse), by ID. */
  private readonly usedStreams = new Set<number>();
  private useCount = 0;

  constructor(
    private readonly link: Link,
    private readonly opts: MuxOptions = {},
  ) {
    this.ids = new StreamIds(link.initiator);
    const parts = (link as Partial<PartsLink>).sendParts;
    this.sendParts = typeof parts === 'function' ? parts.bind(link) : undefined;
    const { window, maxWindow } = resolveStreamWindows(opts);
    this.window = window;
    // The first bulk transfer may start before the first heartbeat: the tuner asks for one RTT sample.
    this.tuner = new WindowTuner({ maxWindow, probe: () => this.heartbeat.probe() });
    this.log = { peer: link.peerId.slice(0, 8), path: link.path };
    this.deps = {
      // WINDOW, FIN and RST all want the peer to act: a dead path shows as no answer within an RTO.
      sendControl: (frame) => {
        this.liveness(streamIdOf(frame)).awaitReply();
        this.send(frame);
      },
      tuneWindow: (current, halfWindowMs) => this.tuner.next(current, halfWindowMs),
      reserveWindow: (current, wanted) => this.tuner.reserve(current, wanted),
      wake: (stream) => (isLaneId(stream.id) ? this.laneQueue : this.queue).wake(stream),
      forget: (stream) => this.forget(stream),
    };
    this.heartbeat = new Heartbeat({
      intervalMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      deadAfterMs: opts.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS,
      rtoFloorMs: opts.rtoFloorMs ?? RTO_FLOOR_MS,
      rtoCapMs: opts.rtoCapMs ?? RTO_CAP_MS,
      sendPing: (nonce) => void this.send(encodeFrame({ type: FrameType.Ping, streamId: 0, nonce })),
      onRtt: (ms) => {
        this.tuner.observeRtt(ms);
        this.emit('rtt', ms);
      },
      onDead: (error) => this.fail(error),
    });
    const pieces = (link as Partial<PiecesLink>).onFramePieces;
    this.disposables.add(
      // A link that can give frames in the pieces they arrived in saves copying each DATA payload.
      typeof pieces === 'function'
        ? pieces.call(link, (p: readonly Buffer[]) => this.onFramePieces(p))
        : link.onFrame((frame) => this.onFrame(frame)),
      link.onDrain(() => this.queue.drain()),
      link.onClose((error) => this.onLinkClose(error)),
    );
    if (link.closed) {
      queueMicrotask(() =>
        this.onLinkClose(new ClawError('LINK_CLOSED', 'the link was closed before the mux started')),
      );
    } else {
      this.heartbeat.start();
    }
  }

  /** True once the mux (and its link) is closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Streams currently open in either direction (not counting ones being opened). */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * How much the owner used the link so far: streams of the services MuxOptions.countsAsUse names,
   * opened either way, and the DATA frames they carried either way. It only grows: a reader compares two
   * readings to learn whether the link was used between them (links/punch-rounds.ts).
   */
  get uses(): number {
    return this.useCount;
  }

  /** Milliseconds a frame needing an answer may wait for one before the link is dead (1–3 s, rto.ts). */
  get rtoMs(): number {
    return this.heartbeat.rtoMs;
  }

  /** Subscribes to 'close' or 'rtt'; returns a disposer. */
  on<K extends keyof MuxEvents>(event: K, listener: (...args: MuxEvents[K]) => void): Disposer {
    return this.events.on(event, listener);
  }

  /**
   * Opens a stream to `service` on the peer.
   * @throws (rejects) ClawError('STREAM_REJECTED', reason) when the peer refuses, ClawError('TIMEOUT')
   *   without an answer in `timeoutMs`, ClawError('LINK_CLOSED') when the link closes first,
   *   ClawError('BAD_ARGUMENT') for a bad service name or oversized arguments.
   */
  async open(service: string, args: unknown, opts: OpenOptions = {}): Promise<MuxStream> {
    if (this.isClosed) {
      throw new ClawError('LINK_CLOSED', `cannot open "${service}": the link to ${this.log.peer} is closed`);
    }
    const onLane = this.lane?.usable === true && QUIET_LANE_SERVICES.has(service);
    const id = this.ids.peek(onLane);
    if (id === undefined) {
      throw new ClawError('PROTOCOL', 'stream IDs on this link are used up; reconnect');
    }
    // Encoding validates the service name and argument size before an ID is spent.
    const frame = encodeFrame({ type: FrameType.Open, streamId: id, service, args });
    this.ids.take(onLane);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
    return new Promise<MuxStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        const opening = this.opening.get(id);
        if (!opening || !this.opening.delete(id)) return;
        giveBack(opening);
        // Tell the peer to drop the request; a late ACCEPT for this ID is then ignored on both sides.
        this.send(
          encodeFrame({ type: FrameType.Rst, streamId: id, code: 'TIMEOUT', reason: 'open timed out' }),
        );
        reject(new ClawError('TIMEOUT', `peer did not answer the "${service}" stream in ${timeoutMs} ms`));
      }, timeoutMs);
      const opening: Opening = { service, args, timer, resolve, reject, early: [], earlyBytes: 0 };
      this.opening.set(id, opening);
      this.liveness(id).awaitReply();
      this.send(frame);
      const source = opts.early;
      if (source) {
        opening.source = source;
        opening.stopEarly = readEarly(source, (chunk) => this.sendEarly(id, opening, chunk));
      }
    });
  }

  /** DATA before ACCEPT, within EARLY_DATA_BYTES; returns what did not go. */
  private sendEarly(id: number, opening: Opening, chunk: Buffer): Buffer | undefined {
    if (this.opening.get(id) !== opening || this.isClosed) return chunk;
    const size = Math.min(chunk.length, EARLY_DATA_BYTES - opening.earlyBytes);
    for (let at = 0; at < size; at += MAX_DATA_PAYLOAD) {
      this.sendData(id, chunk.subarray(at, Math.min(size, at + MAX_DATA_PAYLOAD)));
    }
    if (size > 0) opening.early.push(chunk.subarray(0, size));
    opening.earlyBytes += size;
    return size < chunk.length ? chunk.subarray(size) : undefined;
  }

  /**
   * Measures the round-trip time in milliseconds (high resolution) and emits 'rtt'.
   * @throws (rejects) ClawError('TIMEOUT') without a reply, ClawError('LINK_CLOSED') if the link closes.
   */
  ping(timeoutMs: number = DEFAULT_PING_TIMEOUT_MS): Promise<number> {
    return this.heartbeat.ping(timeoutMs);
  }

  /** True while the link has a quiet lane (quiet-lane.ts). */
  get hasQuietLane(): boolean {
    return this.lane !== undefined;
  }

  /**
   * Adds the link's quiet lane: a second connection to the same peer, on which streams of
   * QUIET_LANE_SERVICES opened from now on travel, in the lane's ID space (both sides must agree to
   * it first: links/quiet-lanes.ts). Once added, the link lives and dies with it too.
   * @throws ClawError('BAD_ARGUMENT') for a lane to another peer or a second lane.
   */
  addLane(link: Link): void {
    if (this.isClosed) return link.close('the link is closed');
    if (link.peerId !== this.link.peerId || this.lane) {
      link.close('not a quiet lane of this link');
      throw new ClawError(
        'BAD_ARGUMENT',
        this.lane ? 'the link has a quiet lane already' : 'a quiet lane must go to the same peer',
      );
    }
    this.lane = new QuietLane(link, {
      intervalMs: this.opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      deadAfterMs: this.opts.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS,
      rtoFloorMs: this.opts.rtoFloorMs ?? RTO_FLOOR_MS,
      rtoCapMs: this.opts.rtoCapMs ?? RTO_CAP_MS,
      onFrame: (frame) => this.onFrame(frame, true),
      onEnded: (error) => !this.isClosed && this.ending.laneEnded(link.remote, error),
      onDead: (error) => !this.isClosed && this.ending.laneDead(error),
    });
  }

  private closeByPeer(error: ClawError): void {
    this.teardown(error, error);
    this.link.close('peer sent GOAWAY');
  }

  /** GOAWAY on the main connection, and on the lane when there is one (link-ending.ts). */
  private sendGoAway(reason: string): void {
    const frame = encodeFrame({ type: FrameType.GoAway, streamId: 0, reason });
    this.send(frame);
    this.lane?.send(frame);
  }

  /** Closes every stream and the link, telling the peer why (GOAWAY). Idempotent. */
  close(reason = 'link no longer needed'): void {
    if (this.isClosed) return;
    this.sendGoAway(reason);
    this.teardown(undefined, new ClawError('LINK_CLOSED', `link to ${this.log.peer} closed: ${reason}`));
    this.link.close(reason);
  }

  private send(frame: Uint8Array): boolean {
    const lane = this.laneOf(streamIdOf(frame));
    if (!lane) return this.transmit(() => this.link.send(frame));
    lane.send(frame);
    return true;
  }

  /** The heartbeat that judges the connection a stream's frames travel on. */
  private liveness(streamId: number): Heartbeat {
    return this.laneOf(streamId)?.heartbeat ?? this.heartbeat;
  }

  /** The lane a stream's frames travel on, or undefined for the main connection. */
  private laneOf(streamId: number): QuietLane | undefined {
    return isLaneId(streamId) ? this.lane : undefined;
  }

  /** One DATA frame: header and payload go to the link separately when it can take them so. */
  private sendData(streamId: number, payload: Uint8Array): boolean {
    if (this.usedStreams.has(streamId)) this.useCount++;
    streamBurst.add(payload.length);
    const lane = this.laneOf(streamId);
    if (lane) {
      lane.heartbeat.awaitReply();
      lane.sendParts(encodeDataHeader(streamId, payload.length), payload);
      return true;
    }
    this.heartbeat.awaitReply();
    const parts = this.sendParts;
    const ok = parts
      ? this.transmit(() => parts(encodeDataHeader(streamId, payload.length), payload))
      : this.transmit(() => this.link.send(encodeData(streamId, payload, allocUnsafe)));
    // Counted after the frame is on the link, so a probe it triggers follows it.
    this.flight.sent(payload.length);
    return ok;
  }

  /** Resumes the DATA scheduler in `ms` (one pending timer at a time): pacing let bulk DATA wait. */
  private wakeAfter(ms: number): void {
    if (this.paceTimer || this.isClosed) return;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = undefined;
      if (!this.isClosed) this.queue.resume();
    }, ms);
    this.paceTimer.unref();
  }

  /** Runs one send on the link; a throwing link fails the mux, false blocks DATA until drain. */
  private transmit(sendOnLink: () => boolean): boolean {
    if (this.isClosed || this.link.closed) return false;
    let ok: boolean;
    try {
      ok = sendOnLink();
    } catch (err) {
      this.fail(
        new ClawError('INTERNAL', `mux could not send on the link: ${errorMessage(err)}`, { cause: err }),
      );
      return false;
    }
    this.heartbeat.sent();
    if (!ok) this.queue.block();
    return ok;
  }

  /** `onLane`: the frame came over the quiet lane. */
  private onFrame(bytes: Uint8Array, onLane = false): void {
    this.receive(onLane, () => {
      const frame = decodeFrame(bytes);
      // A DATA frame's header is read; its payload is released by whoever writes it (receive-slabs.ts).
      // Other frames may keep views of their bytes, so theirs are never released.
      if (frame.type === FrameType.Data) releaseReceived(bytes, MUX_HEADER_BYTES);
      return { frame };
    });
  }

  /** A frame in the pieces it arrived in: DATA keeps them (no copy); anything else is joined first. */
  private onFramePieces(pieces: readonly Buffer[]): void {
    if (pieces.length === 1) return this.onFrame(pieces[0]!);
    this.receive(false, () => {
      const data = decodeDataPieces(pieces);
      if (!data) {
        const joined = Buffer.concat(pieces);
        // Joined into a copy: nothing reads the pieces again.
        for (const piece of pieces) releaseReceived(piece);
        return { frame: decodeFrame(joined) };
      }
      releaseReceived(pieces[0]!, MUX_HEADER_BYTES);
      const frame: MuxFrame = { type: FrameType.Data, streamId: data.streamId, payload: data.payload[0]! };
      return { frame, dataPieces: data.payload };
    });
  }

  private receive(onLane: boolean, decode: () => { frame: MuxFrame; dataPieces?: readonly Buffer[] }): void {
    if (this.isClosed) return;
    // Each connection is judged by its own frames (the lane's heartbeat saw this one if it came there).
    if (!onLane) this.heartbeat.received();
    try {
      const { frame, dataPieces } = decode();
      const mismatch = laneMismatch(frame.streamId, onLane);
      if (mismatch !== undefined) throw violation(mismatch);
      this.dispatch(frame, dataPieces, onLane);
    } catch (err) {
      if (isClawError(err)) {
        this.fail(new ClawError(err.code, `${err.message} (from peer ${this.log.peer}); closing the link`));
      } else {
        this.fail(
          new ClawError('INTERNAL', `mux failed handling a frame: ${errorMessage(err)}`, { cause: err }),
        );
      }
    }
  }

  /** `dataPieces`: a DATA frame's payload in the pieces it arrived in (then `frame.payload` is not used). */
  private dispatch(frame: MuxFrame, dataPieces: readonly Buffer[] | undefined, onLane: boolean): void {
    switch (frame.type) {
      case FrameType.Ping: {
        // Answered on the connection it came on: each judges its own liveness (quiet-lane.ts); that
        // connection's next beat may skip its own PING (heartbeat.ts).
        const pong = encodeFrame({ type: FrameType.Pong, streamId: 0, nonce: frame.nonce });
        if (onLane) {
          this.lane?.heartbeat.pinged();
          this.lane?.send(pong);
        } else {
          this.heartbeat.pinged();
          this.send(pong);
        }
        return;
      }
      case FrameType.Pong:
        if (onLane) this.lane?.heartbeat.pong(frame.nonce);
        else if (this.flight.ack(frame.nonce)) this.queue.resume();
        else this.heartbeat.pong(frame.nonce);
        return;
      case FrameType.GoAway:
        return this.ending.goAway(frame.reason, onLane);
      case FrameType.Open:
        this.onOpen(frame.streamId, frame.service, frame.args);
        return;
    }
    const id = frame.streamId;
    const stream = this.streams.get(id);
    if (stream) return this.onStreamFrame(stream, frame, dataPieces);
    const opening = this.opening.get(id);
    if (opening) return this.onOpeningFrame(id, opening, frame);
    const inbound = this.inbound.get(id);
    if (inbound) {
      if (frame.type === FrameType.Data) return this.holdEarly(id, inbound, dataPieces ?? [frame.payload]);
      if (frame.type !== FrameType.Rst)
        throw violation(`${frameTypeName(frame.type)} on stream ${id} before it was accepted`);
      this.inbound.delete(id);
      inbound.state = 'cancelled';
      inbound.early = undefined;
      inbound.reason = frame.reason;
      inbound.cancel.abort(new ClawError('STREAM_RESET', `the peer gave up: ${frame.reason}`));
      return;
    }
    // Frames may cross an RST or a timed-out open on the wire; for a finished stream they are dropped.
    if (this.ids.isFinished(id)) return;
    throw violation(`${frameTypeName(frame.type)} for stream ${id}, which was never opened`);
  }

  /** DATA for a stream not answered yet: held for the service (early-data.ts), within the initial credit. */
  private holdEarly(id: number, inbound: Inbound, pieces: readonly Uint8Array[]): void {
    this.liveness(id).dataReceived();
    inbound.early ??= new EarlyHold();
    const problem = inbound.early.add(id, pieces as readonly Buffer[]);
    if (problem !== undefined) throw violation(problem);
  }

  private onStreamFrame(stream: MuxStream, frame: MuxFrame, dataPieces?: readonly Buffer[]): void {
    let problem: string | undefined;
    switch (frame.type) {
      case FrameType.Data:
        if (this.usedStreams.has(stream.id)) this.useCount++;
        this.liveness(stream.id).dataReceived();
        streamBurst.add(dataBytes(dataPieces, frame.payload));
        problem = stream.receiveData(dataPieces ?? bufferView(frame.payload));
        break;
      case FrameType.Window:
        problem = stream.receiveWindow(frame.increment);
        break;
      case FrameType.Fin:
        problem = stream.receiveFin();
        break;
      case FrameType.Rst:
        stream.receiveReset(frame.code, frame.reason);
        break;
      case FrameType.Acked:
        // Resumable streams (resumable-stream.ts) count it; to the mux it is only a sign of life.
        stream.receiveAcked(frame.offset);
        break;
      default:
        problem = `${frameTypeName(frame.type)} on stream ${stream.id}, which is already open`;
    }
    if (problem !== undefined) throw violation(problem);
  }

  private onOpeningFrame(id: number, opening: Opening, frame: MuxFrame): void {
    if (frame.type !== FrameType.Accept && frame.type !== FrameType.Reject && frame.type !== FrameType.Rst) {
      throw violation(`${frameTypeName(frame.type)} on stream ${id} before ACCEPT`);
    }
    this.opening.delete(id);
    clearTimeout(opening.timer);
    opening.stopEarly?.();
    if (frame.type !== FrameType.Accept) {
      giveBack(opening);
      // The peer's own reason is the message (it is written for people); the code is for deciding.
      opening.reject(
        new ClawError('STREAM_REJECTED', frame.reason || `peer refused the "${opening.service}" stream`, {
          refusal: frame.code,
        }),
      );
      return;
    }
    const stream = new MuxStream(this.deps, id, opening.service, opening.args, this.window);
    stream.sentEarly(opening.earlyBytes, opening.early);
    opening.early = [];
    this.streams.set(id, stream);
    this.countUse(stream);
    stream.start();
    // The caller gets the stream in a promise reaction, which runs after process.nextTick callbacks:
    // when the link's GOAWAY arrives in the same read as this ACCEPT, the stream's 'error' is emitted
    // before the caller could listen, and an unheard 'error' would end the whole process. Callers that
    // listen still get it.
    stream.once('error', () => undefined);
    opening.resolve(stream);
  }

  private onOpen(id: number, service: string, args: unknown): void {
    const problem = this.ids.peerOpens(id);
    if (problem !== undefined) throw violation(problem);
    receiveOpen(this.inboundHost, id, service, args);
  }

  /** A stream started, either way: counted as use when its service is one MuxOptions.countsAsUse names. */
  private countUse(stream: MuxStream): void {
    if (!this.opts.countsAsUse?.(stream.service)) return;
    this.usedStreams.add(stream.id);
    this.useCount++;
  }

  private forget(stream: MuxStream): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.usedStreams.delete(stream.id);
    this.tuner.release(stream.windowGrowth);
    this.streams.delete(stream.id);
    this.queue.remove(stream);
    this.laneQueue.remove(stream);
    if (!this.ids.isOwn(stream.id)) this.peerStreams--;
  }

  private onLinkClose(error?: Error): void {
    // After the peer's GOAWAY its connections end: the lane's last frames (if it is still open) or the
    // grace close the link, with the GOAWAY's reason.
    if (this.ending.mainClosed()) return;
    const reason = error ? errorMessage(error) : 'link closed';
    const streamError =
      error && isClawError(error, 'LINK_CLOSED')
        ? error
        : // A refusal the link closed with (a relay circuit the peer refused) stays readable as one.
          new ClawError('LINK_CLOSED', reason, { cause: error, refusal: refusalOf(error) });
    this.teardown(error ? streamError : undefined, streamError);
  }

  /** Protocol violation, heartbeat timeout or internal failure: tell the peer, close everything. */
  private fail(error: ClawError): void {
    if (this.isClosed) return;
    this.opts.logger?.warn({ ...this.log, code: error.code }, error.message);
    this.sendGoAway(error.message);
    this.teardown(error, error);
    this.link.close(error.message);
  }

  private teardown(error: Error | undefined, streamError: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.disposables.dispose();
    clearTimeout(this.paceTimer);
    this.ending.stop();
    this.lane?.close(errorMessage(streamError));
    this.heartbeat.stop(streamError);
    for (const opening of this.opening.values()) {
      clearTimeout(opening.timer);
      giveBack(opening);
      opening.reject(streamError);
    }
    this.opening.clear();
    for (const entry of this.inbound.values()) {
      entry.state = 'cancelled';
      entry.reason = errorMessage(streamError);
      entry.cancel.abort(streamError);
    }
    this.inbound.clear();
    for (const stream of [...this.streams.values()]) stream.abort(streamError);
    this.opts.logger?.debug({ ...this.log, reason: error?.message }, 'mux closed');
    this.emit('close', error);
    this.events.removeAll();
  }

  private emit<K extends keyof MuxEvents>(event: K, ...args: MuxEvents[K]): void {
    try {
      this.events.emit(event, ...args);
    } catch (err) {
      // A listener's bug must not take the link down (or escape into the link's frame listener).
      this.opts.logger?.warn({ ...this.log, event, err }, 'mux event listener threw');
    }
  }
}

/** A refused or abandoned open: stop reading early, and put what was sent back into the source. */
function giveBack(opening: Opening): void {
  opening.stopEarly?.();
  const { source, early } = opening;
  opening.early = [];
  if (!source || early.length === 0 || source.destroyed || source.readableEnded) return;
  source.unshift(Buffer.concat(early));
}

function violation(message: string): ClawError {
  return new ClawError('PROTOCOL', `mux protocol violation: ${message}`);
}

/** A DATA frame's payload bytes: in the pieces it arrived in when there are several, else its payload. */
/** DATA frames in memory nobody zero-fills: the encoder writes every byte (protocol/mux-frames.ts). */
const allocUnsafe = (size: number): Buffer => Buffer.allocUnsafe(size);

/**
 * The payload as a Buffer over the same memory, for Readable.push (no copy). The codec is pure and
 * returns a view of what it decoded, which is already a Buffer when the link read into one.
 */
function bufferView(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

function dataBytes(pieces: readonly Buffer[] | undefined, payload: Uint8Array): number {
  if (!pieces) return payload.length;
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}
