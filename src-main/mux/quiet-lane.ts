/**
 * A link's quiet lane (docs/adr/0042-quiet-lane.md): a second connection to the same peer that carries
 * only the frames of streams in the lane's ID space (stream-ids.ts), so a keystroke never waits in the
 * same kernel send buffer as a download. On a path whose congestion control cuts the busy connection's
 * window now and then (BBR's PROBE_RTT: four packets for 200 ms every 10 s), the bulk connection's
 * unsent bytes stall; the lane's few bytes in flight are not held by that.
 *
 * The lane keeps itself alive: each side sends a PING on it with each of the link's heartbeats (`beat`,
 * so an idle link wakes no more often than it did) and answers the peer's PINGs there, so a lane that
 * a NAT forgot or a peer stopped reading is found within `deadAfterMs` and a heartbeat even while the
 * main connection is fine. Its PINGs and PONGs never reach the mux.
 */
import { ClawError, errorMessage } from '../core/errors.js';
import {
  decodeFrame,
  encodeFrame,
  FrameType,
  MUX_HEADER_BYTES,
  type MuxFrame,
} from '../protocol/mux-frames.js';
import type { Disposer } from '../core/emitter.js';
import type { Link, PartsLink } from '../transport/link.js';

/**
 * How long the mux waits after its lane closed before it fails the link, in ms (1 s). A peer that
 * closes the link sends GOAWAY on the main connection and then closes both; the two closes race over
 * two sockets, and the GOAWAY's reason is the one worth reporting.
 */
export const LANE_CLOSE_GRACE_MS = 1_000;

export interface QuietLaneOptions {
  deadAfterMs: number;
  /** A frame from the peer on the lane, other than the lane's own PING and PONG. */
  onFrame(frame: Uint8Array): void;
  /** The lane died (closed, or silent for `deadAfterMs`): the link as a whole has failed. */
  onDead(error: ClawError): void;
}

export class QuietLane {
  private lastReceived = performance.now();
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly disposers: Disposer[];
  private readonly linkParts: PartsLink['sendParts'] | undefined;
  private isClosed = false;

  constructor(
    private readonly link: Link,
    private readonly opts: QuietLaneOptions,
  ) {
    const parts = (link as Partial<PartsLink>).sendParts;
    this.linkParts = typeof parts === 'function' ? parts.bind(link) : undefined;
    this.disposers = [
      link.onFrame((frame) => this.receive(frame)),
      link.onClose((error) => this.lost(error)),
    ];
    if (link.closed) queueMicrotask(() => this.lost(undefined));
  }

  /** Where the lane's bytes go (for logs). */
  get remote(): string {
    return this.link.remote;
  }

  /**
   * Sends one frame on the lane. Never refuses: only interactive streams use the lane, and their credit
   * bounds what it can hold, so the main connection's DATA is never held back by the lane's buffer.
   */
  send(frame: Uint8Array): void {
    if (!this.isClosed && !this.link.closed) this.link.send(frame);
  }

  /** `send(head ‖ body)` without joining them, when the link can (a DATA frame). */
  sendParts(head: Uint8Array, body: Uint8Array): void {
    if (this.isClosed || this.link.closed) return;
    if (this.linkParts) this.linkParts(head, body);
    else this.link.send(Buffer.concat([head, body]));
  }

  /** Stops the keepalive and closes the lane's connection. Idempotent. */
  close(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.closeTimer);
    for (const dispose of this.disposers) dispose();
    this.link.close(reason);
  }

  private receive(frame: Uint8Array): void {
    if (this.isClosed) return;
    this.lastReceived = performance.now();
    const type = frame.length >= MUX_HEADER_BYTES ? frame[1] : undefined;
    if (type !== FrameType.Ping && type !== FrameType.Pong) return this.opts.onFrame(frame);
    let decoded: MuxFrame;
    try {
      decoded = decodeFrame(frame);
    } catch (err) {
      return this.fail(new ClawError('PROTOCOL', `the quiet lane got a bad frame: ${errorMessage(err)}`));
    }
    if (decoded.type === FrameType.Ping) {
      this.send(encodeFrame({ type: FrameType.Pong, streamId: 0, nonce: decoded.nonce }));
    }
  }

  /** The link's heartbeat: a PING on the lane, or the lane's failure when it has been silent too long. */
  beat(): void {
    if (this.isClosed) return;
    const silentMs = performance.now() - this.lastReceived;
    if (silentMs >= this.opts.deadAfterMs) {
      this.fail(
        new ClawError(
          'TIMEOUT',
          `the quiet lane to ${this.link.remote} has been silent for ${Math.round(silentMs / 1000)} s`,
        ),
      );
      return;
    }
    this.send(encodeFrame({ type: FrameType.Ping, streamId: 0, nonce: 0n }));
  }

  private lost(error: Error | undefined): void {
    if (this.isClosed || this.closeTimer) return;
    const why = error?.message ?? 'closed';
    this.closeTimer = setTimeout(
      () => this.fail(new ClawError('LINK_CLOSED', `the quiet lane to ${this.link.remote} failed: ${why}`)),
      LANE_CLOSE_GRACE_MS,
    );
    this.closeTimer.unref();
  }

  private fail(error: ClawError): void {
    if (this.isClosed) return;
    this.close(error.message);
    this.opts.onDead(error);
  }
}
