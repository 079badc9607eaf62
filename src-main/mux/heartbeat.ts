/**
 * Liveness and round-trip time for one mux: PING every interval, PONG matching by nonce, and a dead-link
 * verdict when nothing at all arrived from the peer for `deadAfterMs` (architecture.md §Links and paths: a dead direct path is
 * detected by heartbeat, not by kernel timeouts). Any frame counts as a sign of life, so a busy link
 * never times out because a PONG queued behind bulk data.
 */
import { ClawError } from '../core/errors.js';

/** Callbacks and timings for a Heartbeat. */
export interface HeartbeatOptions {
  intervalMs: number;
  deadAfterMs: number;
  sendPing(nonce: bigint): void;
  onRtt(ms: number): void;
  onDead(error: ClawError): void;
}

interface PendingPing {
  start: number;
  resolve?: (ms: number) => void;
  reject?: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** Seconds for messages: `15` for 15000 ms, `0.06` for 60 ms. */
function seconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

export class Heartbeat {
  private lastReceived = performance.now();
  private nextNonce = 1n;
  private readonly pending = new Map<bigint, PendingPing>();
  private interval: NodeJS.Timeout | undefined;
  private deadTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: HeartbeatOptions) {}

  /** Starts pinging and watching. Timers are unref'd: a heartbeat alone never keeps the process up. */
  start(): void {
    this.interval = setInterval(() => this.beat(), this.opts.intervalMs);
    this.interval.unref();
    this.armDeadTimer(this.opts.deadAfterMs);
  }

  /** Notes that a frame arrived (cheap: called for every frame). */
  received(): void {
    this.lastReceived = performance.now();
  }

  /**
   * Sends a PING and resolves with the round-trip time in milliseconds (high resolution).
   * @throws (rejects) ClawError('TIMEOUT') without a PONG in `timeoutMs`, or the link's error if it closes.
   */
  ping(timeoutMs: number): Promise<number> {
    if (this.stopped) return Promise.reject(new ClawError('LINK_CLOSED', 'cannot ping: the link is closed'));
    const nonce = this.nextNonce++;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(nonce);
        reject(new ClawError('TIMEOUT', `ping: no reply from peer in ${seconds(timeoutMs)} s`));
      }, timeoutMs);
      this.pending.set(nonce, { start: performance.now(), resolve, reject, timer });
      this.opts.sendPing(nonce);
    });
  }

  /** A PONG arrived; unknown nonces (late replies to timed-out pings) are ignored. */
  pong(nonce: bigint): void {
    const entry = this.pending.get(nonce);
    if (!entry) return;
    this.pending.delete(nonce);
    clearTimeout(entry.timer);
    // Microseconds are all a loopback RTT needs; the rest is float noise in `peers --json` and the API.
    const rtt = Math.round((performance.now() - entry.start) * 1000) / 1000;
    this.opts.onRtt(rtt);
    entry.resolve?.(rtt);
  }

  /** Stops timers and fails pending pings with `error`. Idempotent. */
  stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.deadTimer);
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject?.(error);
    }
    this.pending.clear();
  }

  /** Sends one PING nobody awaits, outside the schedule; its PONG reports an RTT through `onRtt`. */
  probe(): void {
    if (this.stopped) return;
    const now = performance.now();
    // Pings nobody awaits are forgotten once they could no longer matter.
    for (const [nonce, entry] of this.pending) {
      if (!entry.resolve && now - entry.start > this.opts.deadAfterMs) this.pending.delete(nonce);
    }
    const nonce = this.nextNonce++;
    this.pending.set(nonce, { start: now });
    this.opts.sendPing(nonce);
  }

  private beat(): void {
    this.probe();
  }

  private armDeadTimer(ms: number): void {
    this.deadTimer = setTimeout(() => this.checkDead(), ms);
    this.deadTimer.unref();
  }

  private checkDead(): void {
    if (this.stopped) return;
    const idle = performance.now() - this.lastReceived;
    if (idle < this.opts.deadAfterMs) {
      // Re-arm for the remaining time instead of touching a timer on every frame.
      this.armDeadTimer(this.opts.deadAfterMs - idle);
      return;
    }
    this.opts.onDead(
      new ClawError(
        'LINK_CLOSED',
        `heartbeat timeout: no reply from peer for ${seconds(this.opts.deadAfterMs)} s; the path is down`,
      ),
    );
  }
}
