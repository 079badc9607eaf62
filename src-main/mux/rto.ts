/**
 * Retransmission-timeout estimate for one link, as TCP computes it (RFC 6298 §2): a smoothed RTT and
 * its mean deviation from the mux's own PING/PONG round trips, RTO = SRTT + 4 × RTTVAR, clamped to
 * [floor, cap]. The mux uses it to judge a link dead when something it sent waits that long for any
 * answer (docs/mux-protocol.md §Liveness, ADR "dead path in seconds"). Pure: no clock, no timers.
 */
import { ClawError } from '../core/errors.js';

/** RFC 6298's gains: α = 1/8 for SRTT, β = 1/4 for RTTVAR, K = 4 deviations of headroom. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

export class RtoEstimator {
  private srtt: number | undefined;
  private rttvar = 0;

  /**
   * @param floorMs smallest RTO ever returned (> 0)
   * @param capMs largest RTO ever returned, also the RTO before the first sample (≥ floorMs)
   * @throws ClawError('BAD_ARGUMENT') for a floor or cap that is not a positive finite number in order
   */
  constructor(
    readonly floorMs: number,
    readonly capMs: number,
  ) {
    if (!(Number.isFinite(floorMs) && floorMs > 0 && Number.isFinite(capMs) && capMs >= floorMs)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `RTO bounds must satisfy 0 < floor ≤ cap, got ${floorMs}, ${capMs}`,
      );
    }
  }

  /** True once at least one sample arrived. */
  get sampled(): boolean {
    return this.srtt !== undefined;
  }

  /** Smoothed RTT in ms, undefined before the first sample. */
  get smoothedRttMs(): number | undefined {
    return this.srtt;
  }

  /** Adds one round-trip sample in ms; anything not a finite number ≥ 0 is ignored (a clock glitch). */
  sample(rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    if (this.srtt === undefined) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
      return;
    }
    // RTTVAR first, with the old SRTT (RFC 6298 §2.3 orders it so).
    this.rttvar = (1 - BETA) * this.rttvar + BETA * Math.abs(this.srtt - rttMs);
    this.srtt = (1 - ALPHA) * this.srtt + ALPHA * rttMs;
  }

  /**
   * The timeout in ms, within [floorMs, capMs]. Before any sample it is the cap: nothing is known of
   * the path yet, and declaring a slow one dead too early costs more than noticing a dead one late.
   */
  get rtoMs(): number {
    if (this.srtt === undefined) return this.capMs;
    return Math.min(this.capMs, Math.max(this.floorMs, this.srtt + K * this.rttvar));
  }
}
