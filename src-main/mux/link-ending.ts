/**
 * How a link with a quiet lane ends (docs/adr/0042-quiet-lane.md): its two connections end over two
 * sockets, in either order, and the link closes once both have (a GOAWAY or an end on each), or after
 * LANE_CLOSE_GRACE_MS. So a terminal's last output and exit on the lane are not overtaken by the
 * GOAWAY on the main connection, and a lane that ends first leaves the GOAWAY's reason a moment to
 * arrive. A link without a lane closes at its GOAWAY, as ever.
 */
import { ClawError, errorMessage } from '../core/errors.js';
import { LANE_CLOSE_GRACE_MS } from './quiet-lane.js';

export interface LinkEndingDeps {
  /** True while the main connection is open. */
  mainOpen(): boolean;
  /** True while the link has a lane whose connection has not ended. */
  laneOpen(): boolean;
  /** The peer closed the link: tear it down with the GOAWAY's error. */
  closeByPeer(error: ClawError): void;
  /** The link failed. */
  fail(error: ClawError): void;
}

export class LinkEnding {
  /** The peer's GOAWAY, once it came on one of the connections. */
  private peerGoAway: ClawError | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: LinkEndingDeps) {}

  /** The peer's GOAWAY arrived on the lane (`onLane`) or the main connection. */
  goAway(reason: string, onLane: boolean): void {
    const error =
      this.peerGoAway ?? new ClawError('LINK_CLOSED', `peer closed the link: ${reason || 'no reason given'}`);
    const otherOpen = onLane ? this.deps.mainOpen() : this.deps.laneOpen();
    if (this.peerGoAway || !otherOpen) return this.deps.closeByPeer(error);
    this.peerGoAway = error;
    this.arm(() => this.deps.closeByPeer(error));
  }

  /**
   * The main connection closed. Returns true when that is part of the peer's ending (handled here),
   * false when it is the link's failure for the caller to report.
   */
  mainClosed(): boolean {
    if (!this.peerGoAway) return false;
    if (!this.deps.laneOpen()) this.deps.closeByPeer(this.peerGoAway);
    return true;
  }

  /** The lane's connection ended (`error` when it broke), `remote` being where it went. */
  laneEnded(remote: string, error: Error | undefined): void {
    if (this.peerGoAway) return this.deps.closeByPeer(this.peerGoAway);
    const why = error ? `failed: ${errorMessage(error)}` : 'was closed by the peer';
    const failure = new ClawError('LINK_CLOSED', `the quiet lane to ${remote} ${why}`);
    this.arm(() => this.deps.fail(failure));
  }

  /** The lane stopped answering. */
  laneDead(error: ClawError): void {
    if (this.peerGoAway) return this.deps.closeByPeer(this.peerGoAway);
    this.deps.fail(error);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(then: () => void): void {
    this.timer ??= setTimeout(then, LANE_CLOSE_GRACE_MS).unref();
  }
}
