/**
 * Liveness and round-trip time for one mux: PING every interval, PONG matching by nonce, and a dead-link
 * verdict (architecture.md §Links and paths: a dead direct path is detected by the mux, not by kernel
 * timeouts) in one of two ways (docs/mux-protocol.md §Liveness):
 * - idle: nothing at all arrived from the peer for `deadAfterMs` (15 s of missed heartbeats);
 * - busy: this side sent data or credit (`awaitReply`) and nothing came back for an RTO (rto.ts, 2–3 s),
 *   with a PING sent a quarter of the way in so a peer that is alive always has something to answer.
 * Any frame counts as a sign of life, so a busy link never times out because a PONG queued behind bulk
 * data; a side receiving DATA that has said nothing for DATA_ACK_MS says something (`dataReceived`).
 *
 * An idle link's heartbeat is one side's (ADR 0062): a side whose peer sent a PING since its own last
 * beat skips its PING (the peer's PINGs and its PONGs already show each side the other lives), except
 * once every RTT_REFRESH_BEATS beats to keep its own RTT current. Two new sides end up taking turns: about
 * one PING and one PONG per interval between them instead of two of each. The dead-link check
 * rides on the beats too; its own timer is armed only when the silence could reach `deadAfterMs`
 * before the next beat.
 *
 * The beats of every heartbeat in a process with the same interval share one timer (ADR 0068): an idle
 * agent's links (each with its main connection and its quiet lane) woke it once each per interval, at
 * phases set by when each link came up; now their PINGs go out in one wake-up, and the peers' answers,
 * sent as one wake-up of theirs, tend to arrive together too. A new link's first beat comes at the
 * shared timer's next tick, so within one interval of its start rather than exactly one interval after.
 */
import { ClawError } from '../core/errors.js';
import { DATA_ACK_MS, PROBE_AFTER_RTO_FRACTION } from './constants.js';
import { RtoEstimator } from './rto.js';

/** A side whose peer does the pinging still pings once every this many beats, for its own RTT. */
export const RTT_REFRESH_BEATS = 6;

/** Callbacks and timings for a Heartbeat. */
export interface HeartbeatOptions {
  intervalMs: number;
  deadAfterMs: number;
  /** Bounds of the RTO while data is outstanding, in ms (rto.ts). */
  rtoFloorMs: number;
  rtoCapMs: number;
  sendPing(nonce: bigint): void;
  onRtt(ms: number): void;
  onDead(error: ClawError): void;
}

/**
 * One unref'd timer per interval for every running heartbeat of that interval: each tick beats them all
 * in the order they started. The timer goes once the last of them stops.
 */
class BeatClock {
  private static readonly clocks = new Map<number, BeatClock>();
  private readonly members = new Set<Heartbeat>();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly intervalMs: number) {
    this.timer = setInterval(() => {
      for (const hb of [...this.members]) hb.tick();
    }, intervalMs);
    this.timer.unref();
  }

  static join(intervalMs: number, hb: Heartbeat): void {
    let clock = BeatClock.clocks.get(intervalMs);
    if (!clock) {
      clock = new BeatClock(intervalMs);
      BeatClock.clocks.set(intervalMs, clock);
    }
    clock.members.add(hb);
  }

  static leave(intervalMs: number, hb: Heartbeat): void {
    const clock = BeatClock.clocks.get(intervalMs);
    if (!clock?.members.delete(hb) || clock.members.size > 0) return;
    clearInterval(clock.timer);
    BeatClock.clocks.delete(clock.intervalMs);
  }
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
  private beating = false;
  private deadTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly rto: RtoEstimator;
  /** performance.now() when this side first sent something needing an answer since the last frame in. */
  private awaitingSince: number | undefined;
  private rtoTimer: NodeJS.Timeout | undefined;
  /** performance.now() at which rtoTimer fires. */
  private rtoTimerAt = 0;
  /** performance.now() of the first DATA frame that arrived since this side last sent a frame. */
  private dataSinceSent: number | undefined;
  /** Whether the current wait has sent (or found) its PING. */
  private probedThisWait = false;
  private lastSent = performance.now();
  /** performance.now() of the last beat, of the last PING from the peer, and of the last RTT sample. */
  private lastBeat = performance.now();
  private peerPingedAt = Number.NEGATIVE_INFINITY;
  private lastRttAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: HeartbeatOptions) {
    this.rto = new RtoEstimator(opts.rtoFloorMs, opts.rtoCapMs);
  }

  /** The current retransmission timeout in ms (for status and tests). */
  get rtoMs(): number {
    return this.rto.rtoMs;
  }

  /**
   * Starts pinging and watching, on the process's shared beat for this interval (BeatClock). Timers are
   * unref'd: a heartbeat alone never keeps the process up.
   */
  start(): void {
    if (this.beating || this.stopped) return;
    this.beating = true;
    BeatClock.join(this.opts.intervalMs, this);
    this.armDeadTimer(this.opts.deadAfterMs);
  }

  /** @internal One beat of the shared clock (BeatClock). */
  tick(): void {
    this.beat();
  }

  /** Notes that a frame arrived (cheap: called for every frame). Whatever this side awaited is answered. */
  received(): void {
    this.lastReceived = performance.now();
    this.awaitingSince = undefined;
  }

  /** Notes that a PING from the peer arrived (the mux answers it): this side's next beat may skip its own. */
  pinged(): void {
    this.peerPingedAt = performance.now();
  }

  /** Notes that this side sent a frame (cheap: called for every frame). */
  sent(): void {
    this.lastSent = performance.now();
  }

  /**
   * This side sent DATA, credit or an OPEN: some frame must come back within an RTO. The first such send
   * after a frame arrived starts the clock. If nothing has come back after PROBE_AFTER_RTO_FRACTION of
   * the RTO, a PING goes out (unless one is unanswered already), so a live peer answers even when it has
   * nothing else to say (its reader stalled, nothing to send). Not at once: a keystroke's echo or a
   * download's credit answers well before that, and a PING (and its PONG, written ahead of the data it
   * came with) on every small send cost each relaying hop a TLS record each way (ADR 0020).
   */
  awaitReply(): void {
    if (this.awaitingSince !== undefined || this.stopped) return;
    this.awaitingSince = performance.now();
    this.probedThisWait = false;
    // A timer armed for an earlier wait may fire later than this one's probe time (armed with the cap
    // before the first RTT sample, say): only a timer that fires in time may stay.
    const probeAt = this.probeDelayMs();
    if (this.rtoTimer !== undefined && this.rtoTimerAt <= this.awaitingSince + probeAt) return;
    clearTimeout(this.rtoTimer);
    this.armRtoTimer(probeAt);
  }

  /** How long a wait lasts before it sends its PING, in ms: a fraction of the current RTO. */
  private probeDelayMs(): number {
    return this.rto.rtoMs * PROBE_AFTER_RTO_FRACTION;
  }

  /**
   * A DATA frame arrived. When DATA has been arriving for DATA_ACK_MS while this side said nothing, a
   * PING tells the peer its data still arrives: the peer's RTO clock then never runs out on a path that
   * is merely slow. Counted from the first DATA since this side last sent, not from that send: a single
   * frame after a quiet spell (a keystroke) is answered by what it causes, and a PING written ahead of
   * it would only delay it (on a route hop, by a TLS record).
   */
  dataReceived(): void {
    // received() ran for this frame just before: its time saves reading the clock twice per frame.
    if (this.dataSinceSent === undefined || this.dataSinceSent < this.lastSent) {
      this.dataSinceSent = this.lastReceived;
      return;
    }
    if (this.lastReceived - this.dataSinceSent >= DATA_ACK_MS) this.probe();
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
      // A PING wants an answer as DATA does: unanswered within an RTO, the path is dead (a `ping` is
      // often the first thing sent into a path that went dead while idle).
      this.awaitReply();
    });
  }

  /** A PONG arrived; unknown nonces (late replies to timed-out pings) are ignored. */
  pong(nonce: bigint): void {
    const entry = this.pending.get(nonce);
    if (!entry) return;
    this.pending.delete(nonce);
    clearTimeout(entry.timer);
    // Microseconds are all a loopback RTT needs; the rest is float noise in `peers --json` and the API.
    const now = performance.now();
    const rtt = Math.round((now - entry.start) * 1000) / 1000;
    this.lastRttAt = now;
    this.rto.sample(rtt);
    this.opts.onRtt(rtt);
    entry.resolve?.(rtt);
  }

  /** Stops timers and fails pending pings with `error`. Idempotent. */
  stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.beating) BeatClock.leave(this.opts.intervalMs, this);
    this.beating = false;
    clearTimeout(this.deadTimer);
    clearTimeout(this.rtoTimer);
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
    if (this.stopped) return;
    const now = performance.now();
    const peerPinging = this.peerPingedAt >= this.lastBeat;
    this.lastBeat = now;
    const idle = now - this.lastReceived;
    if (idle >= this.opts.deadAfterMs) return this.checkDead();
    // The silence could reach the bound before the next beat: a timer for the exact moment.
    if (this.deadTimer === undefined && idle + this.opts.intervalMs >= this.opts.deadAfterMs)
      this.armDeadTimer(this.opts.deadAfterMs - idle);
    if (peerPinging && now - this.lastRttAt < this.opts.intervalMs * RTT_REFRESH_BEATS) return;
    this.probe();
  }

  private armDeadTimer(ms: number): void {
    this.deadTimer = setTimeout(() => {
      this.deadTimer = undefined;
      this.checkDead();
    }, ms);
    this.deadTimer.unref();
  }

  private armRtoTimer(ms: number): void {
    this.rtoTimerAt = performance.now() + ms;
    this.rtoTimer = setTimeout(() => this.checkRto(), ms);
    this.rtoTimer.unref();
  }

  /**
   * The RTO timer ran out: probe once the wait it was armed for (or a later one) has lasted the probe
   * delay, and declare the link dead once it has lasted an RTO.
   */
  private checkRto(): void {
    this.rtoTimer = undefined;
    if (this.stopped || this.awaitingSince === undefined) return;
    const waited = performance.now() - this.awaitingSince;
    const rto = this.rto.rtoMs;
    if (waited >= rto) {
      this.opts.onDead(
        new ClawError(
          'LINK_CLOSED',
          `no reply from peer for ${seconds(waited)} s while data was outstanding (timeout ${seconds(rto)} s); the path is down`,
        ),
      );
      return;
    }
    // One timer per link, re-armed lazily: an answer and a new wait in between only move the deadline.
    const probeAt = this.probeDelayMs();
    if (waited < probeAt) return this.armRtoTimer(probeAt - waited);
    if (!this.probedThisWait) {
      this.probedThisWait = true;
      if (this.pending.size === 0) this.probe();
    }
    this.armRtoTimer(rto - waited);
  }

  private checkDead(): void {
    if (this.stopped) return;
    const idle = performance.now() - this.lastReceived;
    if (idle < this.opts.deadAfterMs) {
      // Something arrived since: the beats watch again, or a timer for the remaining time when the
      // bound comes before the next beat (never a timer touched on every frame).
      const left = this.opts.deadAfterMs - idle;
      if (left <= this.opts.intervalMs && this.deadTimer === undefined) this.armDeadTimer(left);
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
