/**
 * One UDP flow over one mux stream, the same on both ends of a `udp-connect` stream (the listening
 * side's per-client flow and the exit's socket alike): datagrams written to the flow go onto the stream
 * as frames (protocol/udp-frames.ts), frames read from the stream come back out as whole datagrams.
 *
 * UDP semantics, not TCP's: nothing waits. A datagram that would queue more than the flow's limit on the
 * stream (the peer's credit is used up, or the link is slow) is dropped and counted, as a congested
 * router would, instead of being buffered without bound. A flow with no datagram either way for its idle
 * time ends (FIN, so the other side ends its half too), as a NAT forgets an idle mapping.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import { WindowedExtreme } from '../core/windowed-extreme.js';
import { ResumableStream } from '../mux/resumable-stream.js';
import { MuxStream } from '../mux/stream.js';
import { MAX_DATA_PAYLOAD } from '../protocol/mux-frames.js';
import {
  MAX_UDP_DATAGRAM_BYTES,
  UDP_FRAME_HEADER_BYTES,
  UdpFrameDecoder,
  writeUdpFrame,
} from '../protocol/udp-frames.js';

/**
 * Queueing delay a flow lets build up towards its stream before it drops, in ms (20): its queue may
 * hold what the flow drains in this long (docs/design/windows.md §A UDP flow's queue; ADR 0031). A
 * fixed 256 KiB was 4.4 ms at 50,000 datagrams/s of 1,200 bytes, so a stall of the far side or of the
 * link's acknowledgements for a few milliseconds (a GC, a busy core) dropped datagrams that a moment
 * later would have gone through; at a slow link's rate the same 20 ms is about the old bound.
 */
export const UDP_FLOW_QUEUE_TARGET_MS = 20;
/**
 * Bytes any flow may queue, whatever its rate (256 KiB), and what a flow may hold while its stream
 * opens: enough for a burst of a new or slow flow.
 */
export const UDP_FLOW_QUEUE_FLOOR_BYTES = 256 * 1024;
/**
 * Most bytes one flow may have queued towards the stream (2 MiB, its stream window: 35 ms at 60 MB/s);
 * beyond, datagrams are dropped and counted (docs/security.md). The flows of one link together queue
 * at most the link's rate × UDP_FLOW_QUEUE_TARGET_MS above their floors, since their drains share it.
 */
export const MAX_UDP_FLOW_QUEUED_BYTES = 2 * 1024 * 1024;
/**
 * Window of the flow's drain-rate max filter, in ms (1 s): longer than the stalls the queue is there
 * to ride out, so a stall does not shrink the queue while it fills.
 */
const DRAIN_RATE_WINDOW_MS = 1_000;
/** Shortest interval a drain-rate sample spans, in ms (one turn's bytes say nothing about a rate). */
const DRAIN_SAMPLE_MS = 10;

/**
 * Bytes a flow that drained at `bytesPerMs` (its recent best) may queue: UDP_FLOW_QUEUE_TARGET_MS of
 * that, within the floor and the cap. Pure.
 */
export function udpFlowQueueLimit(bytesPerMs: number): number {
  return Math.min(
    MAX_UDP_FLOW_QUEUED_BYTES,
    Math.max(UDP_FLOW_QUEUE_FLOOR_BYTES, bytesPerMs * UDP_FLOW_QUEUE_TARGET_MS),
  );
}
/**
 * Receive window a flow's mux stream starts with, in bytes (2 MiB, 35 ms of 50k datagrams/s of
 * 1,200 bytes), granted at once on both ends instead of the 256 KiB every stream starts with. A UDP
 * sender is paced by its clients, so the window tuner, which grows a window only when the reader drains
 * half of it within two round trips, rarely sees it drain fast enough (60 MB/s fills 128 KiB in 2.2 ms);
 * with 256 KiB of credit and MAX_UDP_FLOW_QUEUED_BYTES of queue, a stall of the far side's event loop
 * of a few ms (a GC, compiling the hot path, a busy core) ran the sender out of credit and the flow
 * dropped datagrams in its first seconds (docs/design/windows.md §Windows asked for up front, §Knobs).
 * The growth is taken from the link's window budget (mux constants LINK_WINDOW_GROWTH_BUDGET, 32 MiB),
 * so flows beyond it start smaller and a link's memory stays bounded (docs/security.md).
 */
export const UDP_FLOW_STREAM_WINDOW = 2 * 1024 * 1024;
/** Bytes of one block the flow frames datagrams into (one DATA payload): its writes are cut from it. */
const FRAME_BLOCK_BYTES = MAX_DATA_PAYLOAD;
/**
 * Kernel buffer asked for on each UDP socket of a forward (the listener and the exit's), in bytes: a
 * burst arriving while the event loop is busy waits there instead of being dropped by the kernel (Linux
 * caps it at net.core.rmem_max / wmem_max).
 */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * What is wrong with a UDP socket's receive buffer, in one line, when the kernel gave it less than
 * `asked` bytes (`reported`: what the socket says it has, socket.getRecvBufferSize()); undefined when it
 * got what was asked. Linux caps the size asked for at net.core.rmem_max (208 KiB on a stock system)
 * without an error, and reports twice what it set (the other half is its bookkeeping), so there the
 * buffer holds `reported` / 2. A forward whose buffer was capped drops (and counts) every datagram
 * that arrives while its event loop is busy for longer than that buffer lasts: 208 KiB is 11 ms of a
 * WireGuard tunnel at 150 Mbit/s. Pure.
 */
export function receiveBufferShortfall(
  reported: number,
  asked: number,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const holds = platform === 'linux' ? reported / 2 : reported;
  if (!(holds < asked)) return undefined;
  const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
  const limit =
    platform === 'linux'
      ? `net.core.rmem_max caps it; raise it with \`sysctl -w net.core.rmem_max=${asked}\``
      : "the system's socket buffer limit caps it";
  return (
    `the UDP socket's receive buffer holds ${kib(holds)} of the ${kib(asked)} asked (${limit}): ` +
    'datagrams that arrive while the agent is busy for longer than it lasts are dropped by the kernel ' +
    "(counted in the forward's dropped)"
  );
}

/** receiveBufferShortfall for a bound socket; undefined where the size cannot be read. */
export function socketReceiveShortfall(socket: UdpSocket, asked: number): string | undefined {
  let reported: number;
  try {
    reported = socket.getRecvBufferSize();
  } catch {
    return undefined;
  }
  return receiveBufferShortfall(reported, asked);
}
/** How long a flow that sent its FIN waits for the other side's before it resets the stream. */
export const UDP_FLOW_LINGER_MS = 2_000;

/** Where a flow counts: whole datagrams each way, their bytes, and the ones it dropped. */
export interface UdpFlowCounters {
  /** A datagram came out of the stream (from the far side). */
  received(bytes: number): void;
  /** A datagram went onto the stream (towards the far side). */
  sent(bytes: number): void;
  /** A datagram was dropped: too large, over the queue limit, or not sendable. */
  dropped(): void;
}

export const NO_COUNTERS: UdpFlowCounters = {
  received: () => undefined,
  sent: () => undefined,
  dropped: () => undefined,
};

export interface UdpFlowOptions {
  idleMs: number;
  /** A fixed queue bound instead of one that follows the drain rate (udpFlowQueueLimit). */
  maxQueuedBytes?: number;
  /** Each datagram read from the stream, whole. */
  onDatagram(datagram: Buffer): void;
  counters?: UdpFlowCounters;
  /** Once, when the flow is over (idle, ended by the other side, reset, or closed here). */
  onClose?(why: string): void;
}

export class UdpStreamFlow {
  private readonly decoder = new UdpFrameDecoder();
  private readonly counters: UdpFlowCounters;
  /** The fixed queue bound a caller asked for, if any. */
  private readonly fixedMaxQueued: number | undefined;
  /** Bytes handed to the stream, and how far it had drained at the last drain-rate sample. */
  private written = 0;
  private sampleAt = performance.now();
  private sampleDrained = 0;
  /** The best drain rate of the last DRAIN_RATE_WINDOW_MS, in bytes per ms. */
  private readonly drainRate = new WindowedExtreme(DRAIN_RATE_WINDOW_MS, Math.max, 0);
  /** Date.now() when a datagram last went either way (set once per turn, not per datagram). */
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private why = 'closed';
  /**
   * Frames sent this turn of the event loop are written into `block` (each datagram copied once, right
   * behind its header) from `blockStart` on, and go to the stream together in flush(); `full` holds the
   * blocks this turn filled. The written part of a block is never written to again, so the stream may
   * keep it until it is framed; the next turn goes on in the rest of the block.
   */
  private block: Buffer = Buffer.alloc(0);
  private blockStart = 0;
  private blockUsed = 0;
  private full: Buffer[] = [];
  private batchBytes = 0;

  constructor(
    private readonly stream: Duplex,
    private readonly opts: UdpFlowOptions,
  ) {
    this.counters = opts.counters ?? NO_COUNTERS;
    this.fixedMaxQueued = opts.maxQueuedBytes;
    stream.on('data', (chunk: Buffer) => this.onChunk(chunk));
    stream.once('end', () => this.close('ended by the other side'));
    stream.on('error', (err) => {
      this.why = errorMessage(err);
      this.stream.destroy();
    });
    stream.once('close', () => this.dispose());
    this.armIdle(opts.idleMs);
    if (stream instanceof MuxStream || stream instanceof ResumableStream) {
      stream.raiseReceiveWindow(UDP_FLOW_STREAM_WINDOW);
    }
    stream.resume();
  }

  /** Date.now() when a datagram last went either way (to the turn: it is set once per turn). */
  get lastActive(): number {
    return this.lastActivity;
  }

  /** True until the flow is closing: datagrams sent after that are dropped. */
  get open(): boolean {
    return !this.closed;
  }

  /** Frames `datagram` onto the stream, or drops (and counts) it; never waits. */
  send(datagram: Uint8Array): boolean {
    if (
      this.closed ||
      datagram.length > MAX_UDP_DATAGRAM_BYTES ||
      this.stream.writableLength + this.batchBytes + datagram.length > this.maxQueued()
    ) {
      this.counters.dropped();
      return false;
    }
    const size = UDP_FRAME_HEADER_BYTES + datagram.length;
    // One stream write per turn of the event loop, not per datagram: the socket hands over many
    // datagrams per poll, and each write is a DATA frame (and a TLS record) of its own.
    if (this.batchBytes === 0) setImmediate(() => this.flush());
    if (this.blockUsed + size > this.block.length) {
      if (this.blockUsed > this.blockStart)
        this.full.push(this.block.subarray(this.blockStart, this.blockUsed));
      this.block = Buffer.allocUnsafe(Math.max(FRAME_BLOCK_BYTES, size));
      this.blockStart = this.blockUsed = 0;
    }
    this.blockUsed = writeUdpFrame(datagram, this.block, this.blockUsed);
    this.batchBytes += size;
    this.counters.sent(datagram.length);
    return true;
  }

  /** How many bytes may wait for the stream now. */
  private maxQueued(): number {
    return this.fixedMaxQueued ?? udpFlowQueueLimit(this.drainRate.value);
  }

  /**
   * Samples how fast the stream took what the flow wrote (bytes written, less what it still holds),
   * over at least DRAIN_SAMPLE_MS: the rate the queue bound is made from.
   */
  private sampleDrain(): void {
    const now = performance.now();
    const elapsed = now - this.sampleAt;
    if (elapsed < DRAIN_SAMPLE_MS) return;
    const drained = this.written - this.stream.writableLength;
    this.drainRate.add((drained - this.sampleDrained) / elapsed, now);
    this.sampleAt = now;
    this.sampleDrained = drained;
  }

  private flush(): void {
    if (this.batchBytes === 0) return;
    const chunks = this.full;
    if (this.blockUsed > this.blockStart) chunks.push(this.block.subarray(this.blockStart, this.blockUsed));
    this.full = [];
    this.blockStart = this.blockUsed;
    this.batchBytes = 0;
    this.lastActivity = Date.now();
    if (this.stream.destroyed || this.stream.writableEnded) return;
    this.sampleDrain();
    for (const chunk of chunks) {
      this.written += chunk.length;
      this.stream.write(chunk);
    }
  }

  /** Ends the flow: FIN to the other side, and a reset if it does not end its half in time. */
  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.why = why;
    clearTimeout(this.idleTimer);
    if (!this.stream.destroyed) {
      this.flush();
      this.stream.end();
      this.lingerTimer = setTimeout(() => this.stream.destroy(), UDP_FLOW_LINGER_MS);
      this.lingerTimer.unref();
    }
  }

  private onChunk(chunk: Buffer): void {
    let datagrams: Buffer[];
    try {
      datagrams = this.decoder.push(chunk);
    } catch (err) {
      // Out of step with the other side: nothing later on this stream can be trusted.
      this.why = errorMessage(err);
      this.stream.destroy();
      return;
    }
    if (datagrams.length === 0) return;
    this.lastActivity = Date.now();
    if (this.closed) return; // our half is done: the far side's last datagrams are not wanted
    for (const d of datagrams) {
      this.counters.received(d.length);
      this.opts.onDatagram(d);
    }
  }

  /**
   * One timer per flow, not one reset per datagram (tens of thousands a second): when it fires it
   * checks when the flow was last used and sleeps again for the rest.
   */
  private armIdle(ms: number): void {
    this.idleTimer = setTimeout(() => {
      const left = this.lastActivity + this.opts.idleMs - Date.now();
      if (left > 0) this.armIdle(left);
      else this.close(`idle for ${Math.round(this.opts.idleMs / 1000)} s`);
    }, ms);
    this.idleTimer.unref();
  }

  private dispose(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lingerTimer);
    this.closed = true;
    this.opts.onClose?.(this.why);
  }
}
