/**
 * A link's quiet lane (docs/adr/0042-quiet-lane.md): a second connection to the same peer that carries
 * only the frames of streams in the lane's ID space (stream-ids.ts), so a keystroke never waits in the
 * same kernel send buffer as a download. On a path whose congestion control cuts the busy connection's
 * window now and then (BBR's PROBE_RTT: four packets for 200 ms every 10 s), the bulk connection's
 * unsent bytes stall; the lane's few bytes in flight are not held by that.
 *
 * Each connection is judged alive by its own frames only: the lane has a heartbeat of its own (the
 * mux's Heartbeat, its PINGs answered on the lane and its PONGs handed back here), so a busy terminal
 * cannot hide a dead main connection, nor the main connection's PONGs a dead lane. A key sent into a
 * dead lane is found within an RTO, an idle lane a NAT forgot within `deadAfterMs`.
 */
import { ClawError, errorMessage } from '../core/errors.js';
import { encodeFrame, FrameType } from '../protocol/mux-frames.js';
import type { Link, PartsLink } from '../transport/link.js';
import { Heartbeat } from './heartbeat.js';
import { DisposableStore } from '../core/disposables.js';

/**
 * How long the mux waits, once one connection of a link with a lane has ended, for the other's
 * ending, in ms (1 s). A peer that closes the link sends GOAWAY on both connections and closes them;
 * the two arrive over two sockets in either order, and the lane's last frames and the GOAWAY's
 * reason are both worth waiting a moment for.
 */
export const LANE_CLOSE_GRACE_MS = 1_000;

export interface QuietLaneOptions {
  intervalMs: number;
  deadAfterMs: number;
  rtoFloorMs: number;
  rtoCapMs: number;
  /** A frame from the peer on the lane (the mux answers its PINGs there and hands PONGs to `heartbeat`). */
  onFrame(frame: Uint8Array): void;
  /** The lane's connection ended: closed by the peer (no error) or broken. */
  onEnded(error: Error | undefined): void;
  /** The lane stopped answering (its heartbeat), or sending on it failed. */
  onDead(error: ClawError): void;
}

export class QuietLane {
  /** The lane's liveness: the mux tells it what goes out and what comes in on the lane. */
  readonly heartbeat: Heartbeat;
  private readonly disposables = new DisposableStore();
  private readonly linkParts: PartsLink['sendParts'] | undefined;
  private isClosed = false;
  private isEnded = false;

  constructor(
    private readonly link: Link,
    private readonly opts: QuietLaneOptions,
  ) {
    const parts = (link as Partial<PartsLink>).sendParts;
    this.linkParts = typeof parts === 'function' ? parts.bind(link) : undefined;
    this.heartbeat = new Heartbeat({
      intervalMs: opts.intervalMs,
      deadAfterMs: opts.deadAfterMs,
      rtoFloorMs: opts.rtoFloorMs,
      rtoCapMs: opts.rtoCapMs,
      sendPing: (nonce) => this.send(encodeFrame({ type: FrameType.Ping, streamId: 0, nonce })),
      onRtt: () => undefined,
      onDead: (error) =>
        this.fail(new ClawError(error.code, `the quiet lane to ${link.remote}: ${error.message}`)),
    });
    this.disposables.add(
      link.onFrame((frame) => this.receive(frame)),
      link.onClose((error) => this.ended(error)),
    );
    if (link.closed) queueMicrotask(() => this.ended(undefined));
    else this.heartbeat.start();
  }

  /** True while new streams may go on the lane: its connection has not ended. */
  get usable(): boolean {
    return !this.isClosed && !this.isEnded && !this.link.closed;
  }

  /**
   * Sends one frame on the lane. Never refuses: only interactive streams use the lane, and their credit
   * bounds what it can hold, so the main connection's DATA is never held back by the lane's buffer.
   */
  send(frame: Uint8Array): void {
    this.transmit(() => this.link.send(frame));
  }

  /** `send(head ‖ body)` without joining them, when the link can (a DATA frame). */
  sendParts(head: Uint8Array, body: Uint8Array): void {
    const parts = this.linkParts;
    this.transmit(() => (parts ? parts(head, body) : this.link.send(Buffer.concat([head, body]))));
  }

  /** Stops the heartbeat and closes the lane's connection. Idempotent. */
  close(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.heartbeat.stop(new ClawError('LINK_CLOSED', reason));
    this.disposables.dispose();
    this.link.close(reason);
  }

  private transmit(sendOnLink: () => boolean): void {
    if (!this.usable) return;
    try {
      sendOnLink();
    } catch (err) {
      this.fail(
        new ClawError('INTERNAL', `could not send on the quiet lane: ${errorMessage(err)}`, { cause: err }),
      );
      return;
    }
    this.heartbeat.sent();
  }

  private receive(frame: Uint8Array): void {
    if (this.isClosed) return;
    this.heartbeat.received();
    this.opts.onFrame(frame);
  }

  private ended(error: Error | undefined): void {
    if (this.isClosed || this.isEnded) return;
    this.isEnded = true;
    this.heartbeat.stop(new ClawError('LINK_CLOSED', `the quiet lane to ${this.link.remote} closed`));
    this.opts.onEnded(error);
  }

  private fail(error: ClawError): void {
    if (this.isClosed) return;
    this.close(error.message);
    this.opts.onDead(error);
  }
}
