/**
 * An in-memory pair of Links (like ws's test/duplex-pair.js) for mux tests. Frames are delivered in order
 * on a later macrotask (after `latencyMs`, at most `bytesPerTick` per turn), so bytes queue up, `send`
 * returns false above the high-water mark and `onDrain` fires once the queue is back under it — the
 * backpressure contract of transport/link.ts. Frames are not copied: the mux allocates a fresh buffer per
 * frame, and a copy here would hide the cost of copies the mux itself makes.
 *
 * Extras for tests: `stats` (queued bytes and their maximum), `blackhole()` (a dead path: frames vanish,
 * nothing closes), `inject()` (bytes as if from the peer), `fail()` (both sides close with an error) and
 * `listenerErrors` (anything a frame listener threw; a correct mux throws nothing).
 */
import { Emitter } from '../../src-main/core/emitter.js';
import { ClawError } from '../../src-main/core/errors.js';
import { MAX_LINK_FRAME, type Link, type PathKind, type PiecesLink } from '../../src-main/transport/link.js';

export interface LinkPairOptions {
  /** Queued bytes (one direction) above which send() returns false. Default 256 KiB. */
  highWaterMark?: number;
  /** One-way delay in milliseconds. Default 0 (next macrotask). */
  latencyMs?: number;
  /** Bytes delivered per macrotask turn, at least one frame. Default unlimited. */
  bytesPerTick?: number;
  path?: PathKind;
  /**
   * Hands frames to the mux in pieces of at most this many bytes (PiecesLink), as a TLS socket's 16 KiB
   * reads do over a direct link. Default: whole frames (onFrame only).
   */
  pieceBytes?: number;
}

export interface LinkStats {
  /** Bytes sent and not yet delivered. */
  queuedBytes: number;
  /** Largest queuedBytes seen right after a send. */
  maxQueuedBytes: number;
  framesSent: number;
  bytesSent: number;
  /** Times send() returned false. */
  refusals: number;
}

type Events = { frame: [Uint8Array]; drain: []; close: [Error | undefined] };

interface Queued {
  frame: Uint8Array;
  due: number;
}

export class MemoryLink implements Link {
  /** The other end of the pair. */
  other!: MemoryLink;
  readonly stats: LinkStats = { queuedBytes: 0, maxQueuedBytes: 0, framesSent: 0, bytesSent: 0, refusals: 0 };
  /** Errors thrown by this side's frame listeners (they are caught so the test can assert on them). */
  readonly listenerErrors: unknown[] = [];
  private readonly events = new Emitter<Events>();
  private queue: Queued[] = [];
  private timer: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private needDrain = false;
  private isClosed = false;
  private holeDug = false;
  private closeRemoteWhenFlushed: Error | undefined;

  constructor(
    readonly peerId: string,
    readonly initiator: boolean,
    readonly path: PathKind,
    readonly remote: string,
    private readonly opts: Required<Omit<LinkPairOptions, 'path' | 'pieceBytes'>>,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(frame: Uint8Array): boolean {
    if (frame.length > MAX_LINK_FRAME) {
      throw new ClawError('FRAME_TOO_LARGE', `link frame of ${frame.length} bytes exceeds ${MAX_LINK_FRAME}`);
    }
    if (this.isClosed) return false;
    this.stats.framesSent++;
    this.stats.bytesSent += frame.length;
    if (!this.holeDug) {
      this.queue.push({ frame, due: performance.now() + this.opts.latencyMs });
      this.stats.queuedBytes += frame.length;
      this.stats.maxQueuedBytes = Math.max(this.stats.maxQueuedBytes, this.stats.queuedBytes);
      this.schedule();
    }
    const ok = this.stats.queuedBytes <= this.opts.highWaterMark;
    if (!ok) {
      this.needDrain = true;
      this.stats.refusals++;
    }
    return ok;
  }

  /** Delivers `frame` to this side's listeners as if the peer had sent it (no queueing). */
  inject(frame: Uint8Array): void {
    this.deliver(frame);
  }

  /** Both directions silently drop every frame from now on; neither side is told (a dead path). */
  blackhole(): void {
    for (const side of [this, this.other]) {
      side.holeDug = true;
      side.queue = [];
      side.stats.queuedBytes = 0;
    }
  }

  /** Frames this side sends vanish from now on, nothing closes: one direction of a dead path. */
  dropOutgoing(): void {
    this.holeDug = true;
    this.queue = [];
    this.stats.queuedBytes = 0;
  }

  /** The link breaks: both sides close at once with `error` (frames in flight are lost). */
  fail(error: Error): void {
    this.finish(error);
    this.other.finish(error);
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
    // The peer hears about it after the frames already in flight, as over a socket that was ended.
    this.closeRemoteWhenFlushed = new ClawError(
      'LINK_CLOSED',
      `link closed by peer${reason ? `: ${reason}` : ''}`,
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const head = this.queue[0];
    const wait = head ? head.due - performance.now() : 0;
    this.timer = wait > 0 ? setTimeout(() => this.pump(), wait) : setImmediate(() => this.pump());
  }

  private pump(): void {
    this.timer = undefined;
    let budget = this.opts.bytesPerTick;
    const now = performance.now();
    let delivered = 0;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.due > now || (delivered > 0 && budget < head.frame.length)) break;
      this.queue.shift();
      this.stats.queuedBytes -= head.frame.length;
      budget -= head.frame.length;
      delivered++;
      this.other.deliver(head.frame);
    }
    if (this.needDrain && !this.isClosed && this.stats.queuedBytes <= this.opts.highWaterMark) {
      this.needDrain = false;
      this.events.emit('drain');
    }
    if (this.queue.length > 0) {
      this.schedule();
    } else if (this.closeRemoteWhenFlushed) {
      const error = this.closeRemoteWhenFlushed;
      this.closeRemoteWhenFlushed = undefined;
      this.other.finish(error);
    }
  }

  private deliver(frame: Uint8Array): void {
    if (this.isClosed) return;
    try {
      this.events.emit('frame', frame);
    } catch (err) {
      this.listenerErrors.push(err);
    }
  }

  private finish(error: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.events.emit('close', error);
    this.events.removeAll();
  }
}

/** A MemoryLink whose frames arrive in pieces of at most `pieceBytes` (views, not copies). */
class PiecesMemoryLink extends MemoryLink implements PiecesLink {
  pieceBytes = 1;

  onFramePieces(listener: (pieces: readonly Buffer[]) => void) {
    return this.onFrame((frame) => {
      const whole = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      const pieces: Buffer[] = [];
      for (let off = 0; off < whole.length; off += this.pieceBytes) {
        pieces.push(whole.subarray(off, off + this.pieceBytes));
      }
      listener(pieces.length > 0 ? pieces : [whole]);
    });
  }
}

/** Two connected links; `a` is the initiator (opens odd stream IDs), `b` the responder. */
export function createLinkPair(opts: LinkPairOptions = {}): { a: MemoryLink; b: MemoryLink } {
  const full = {
    highWaterMark: opts.highWaterMark ?? 256 * 1024,
    latencyMs: opts.latencyMs ?? 0,
    bytesPerTick: opts.bytesPerTick ?? Number.POSITIVE_INFINITY,
  };
  const path = opts.path ?? 'direct';
  const make = (peerId: string, initiator: boolean, remote: string): MemoryLink => {
    if (opts.pieceBytes === undefined) return new MemoryLink(peerId, initiator, path, remote, full);
    const link = new PiecesMemoryLink(peerId, initiator, path, remote, full);
    link.pieceBytes = opts.pieceBytes;
    return link;
  };
  const a = make('b'.repeat(64), true, '127.0.0.1:2');
  const b = make('a'.repeat(64), false, '127.0.0.1:1');
  a.other = b;
  b.other = a;
  return { a, b };
}
