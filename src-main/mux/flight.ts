/**
 * Bytes in flight on one link, kept near what the path needs (docs/design/flight-and-pacing.md;
 * decided in docs/adr/0021-interactive-first.md). Without a cap, DATA fills every buffer on the way —
 * the socket's writable, the kernel's send buffer, the path's bottleneck queue — and a keystroke's echo
 * waits behind all of it. With one, the queue the path holds stays at about `QUEUE_TARGET_MS` of the
 * link's rate.
 *
 * Acknowledgements without a wire change: a PING sent after byte N of DATA is answered after the peer
 * read byte N (the link is ordered), so its PONG acknowledges every byte before it. Those probes carry
 * nonces with the top bit set; the heartbeat's own never reach it. Once per round trip, the round's
 * smallest RTT against the path's min RTT tells how much queue stands in the path, and the cap aims at
 * QUEUE_TARGET_MS of it (a delay target, as LEDBAT and Copa do). The min RTT is re-measured by a drain
 * when no sample has confirmed it for MIN_RTT_STALE_MS (docs/design/flight-and-pacing.md §Keeping the
 * min RTT honest). How the cap moves (docs/design/flight-and-pacing.md §How the cap moves):
 *
 * - start-up: each acknowledgement that shows no more queue than the start-up's exit grows the cap by
 *   twice the bytes it acknowledged, while the cap or the stream's credit near it holds the sender
 *   (the flight triples each round trip and keeps pace with a stream's credit, which grows fourfold
 *   in the same round trips; docs/adr/0048-start-up-grows-per-acknowledgement.md); each round the cap
 *   also jumps to 2 × delivery rate × (min RTT + target); the start-up ends once a round shows more
 *   queue than the target, or than an eighth of the min RTT (at most 16 ms) where that is more — no
 *   slow ramp on a long fat path — and the next round still shows more than the target
 *   (docs/adr/0044-fresh-downloads-on-window-bound-paths.md);
 * - below the target it grows by up to the target's worth of bytes (rate × target), less the closer
 *   the queue is to the target (docs/adr/0027-flight-cap-settles.md), the larger of this round's
 *   and the last round's queue (docs/adr/0041-growth-needs-two-rounds-of-room.md), a step that
 *   doubles after every three rounds in a row that find room
 *   (docs/adr/0032-growth-velocity-and-credit-held-cuts.md);
 * - above it, it is cut to cap × (min RTT + target) / (min RTT + queue), by at most 30 %; a start-up
 *   that ends on a round held by stream credit near the cap is cut the same way from its own flight
 *   (ADR 0032);
 * - never below the best recent delivery rate × min RTT, so round trips a loaded machine stretches
 *   cannot starve a long fat path;
 * - after a drain it grows back ack by ack, not in one burst;
 * - on a path of PACE_MIN_RTT_MS or more, bulk DATA leaves paced at cap / min RTT (a little above
 *   the path's rate; twice that in the start-up), so the cap goes out spread over the round trip, not
 *   in one burst the bottleneck must queue (docs/adr/0033-pacing.md).
 *
 * Interactive DATA may go up to INTERACTIVE_ALLOWANCE beyond the cap, so a keystroke never waits for
 * an acknowledgement, only behind what is already in flight.
 */
import { WindowedExtreme } from '../core/windowed-extreme.js';

/** Smallest factor one cut may leave of the cap (a real queue takes a few round trips to drain). */
const MAX_CUT = 0.7;

/**
 * The cap never falls below this many times delivery rate × min RTT (1: the path's own BDP, no queue).
 * The min RTT the probes see already holds the end hosts' few ms, so this floor keeps the bottleneck
 * busy without queueing there; the delay target decides the queue. Any larger gain lets the floor
 * alone hold more queue than the target, and the target never gets a say
 * (docs/design/flight-and-pacing.md §Knobs).
 */
const BDP_FLOOR_GAIN = 1;

/**
 * The round that ends the start-up cuts the cap from its own largest flight, when the cap did not hold
 * it, if that flight was at least this share of the cap (0.5: a sender held by its stream's credit
 * near the cap, not a trickle far below it). In the start-up, an acknowledgement grows the cap when
 * the flight since the one before reached this share of it (Linux's slow start counts a flight of
 * half the window as window-limited too): the cap then stays up to twice ahead of a stream's credit,
 * which grows fourfold a round trip, rather than a round behind it (docs/design/flight-and-pacing.md
 * §How the cap moves).
 */
const HELD_NEAR_CAP = 0.5;

/**
 * What the start-up grows the cap by, per byte an acknowledgement covered (2: the flight triples each
 * round trip where TCP's slow start doubles it). A stream's credit grows fourfold a round trip
 * (window-tuner.ts); a cap that only doubled trailed it by a round trip or two on a new link's first
 * download, and the download ran below raw TCP's rate for those rounds. The delay check on every
 * acknowledgement bounds what tripling overshoots (docs/design/flight-and-pacing.md §Knobs, ADR 0048).
 */
const STARTUP_ACK_GAIN = 2;

/** Rounds in a row of growth with little queue after which the growth step doubles (3, Copa's). */
const VELOCITY_ROUNDS = 3;

/** Largest multiplier of the growth step (8: at most ~half a 100 ms path's BDP a round). */
const MAX_VELOCITY = 8;

/** Largest queue the start-up's exit waits for, in ms (HyStart++'s MAX_RTT_THRESH). */
const STARTUP_EXIT_MAX_MS = 16;

/**
 * Queue that ends the start-up, in ms: the target, or an eighth of the min RTT up to 16 ms where that
 * is more (HyStart++'s delay threshold, RFC 9406). A round of a busy end host reads a few ms of queue
 * where there is none; against the bare target, one such round ended the start-up on a long fat path
 * at a fraction of the BDP it holds (docs/design/flight-and-pacing.md §Knobs, ADR 0032).
 */
function startupExitMs(minRtt: number): number {
  return Math.max(QUEUE_TARGET_MS, Math.min(STARTUP_EXIT_MAX_MS, minRtt / 8));
}

/** Nonces of flight probes have this bit set (heartbeat nonces count up from 1). */
export const FLIGHT_NONCE_BIT = 1n << 63n;

/**
 * Queueing delay the cap aims for on top of the path's minimum RTT, in ms (6: a fifth of the 30 ms
 * budget for keystroke echo under load, the rest for jitter and the acknowledgements' granularity,
 * which let the queue's tail stand above the target; still enough queue that the bottleneck does not
 * idle between two acknowledgements). Why 6 and not more: docs/design/flight-and-pacing.md §Knobs.
 */
export const QUEUE_TARGET_MS = 6;

/** Cap before the first acknowledgement, in bytes (1 MiB: the start-up doubles it from there). */
export const INITIAL_FLIGHT_CAP = 1024 * 1024;

/** Smallest cap, in bytes (128 KiB, two DATA frames): a link never stalls on its own acknowledgements. */
export const MIN_FLIGHT_CAP = 128 * 1024;

/** Largest cap, in bytes (64 MiB: 4 × the largest stream window; beyond it credit binds anyway). */
export const MAX_FLIGHT_CAP = 64 * 1024 * 1024;

/** Bytes interactive DATA may have in flight beyond the cap (64 KiB, one full DATA frame). */
export const INTERACTIVE_ALLOWANCE = 64 * 1024;

/** Fewest bytes between two probes (32 KiB): on a fast link the probes stay a fraction of the DATA. */
const MIN_PROBE_SPACING = 32 * 1024;

/**
 * Probes per cap: an acknowledgement every sixteenth of the cap refills the flight before the queue
 * the target allows has drained.
 */
const PROBES_PER_CAP = 16;

/**
 * Least time between two probes sent with DATA, in ms (1). On a real path a sixteenth of the cap
 * takes longer than that to send, so this changes nothing there; on loopback or a fast LAN a
 * sixteenth of the cap leaves in a fraction of a millisecond, and the PING, the PONG and the
 * receiver's records around them cost the receiving agent CPU for acknowledgements finer than the
 * cap's own control needs (it decides once a round trip, and a millisecond's bytes stay well under
 * the queue the target lets stand; docs/design/flight-and-pacing.md §Knobs).
 */
const MIN_PROBE_INTERVAL_MS = 1;

/** Window of the delivery-rate max filter, in ms (about 20 round trips of a long fat path). */
const RATE_WINDOW_MS = 2_000;

/**
 * How long the min RTT may stand without a sample at or below it, in ms (10 s, BBR's): then the link
 * drains its queue for a round trip to measure it again. A windowed minimum that simply expired would
 * read the standing queue the cap itself keeps as part of the path, aim its target on top of it, and
 * the queue would grow by the target every window (docs/design/flight-and-pacing.md §Keeping the min
 * RTT honest).
 */
const MIN_RTT_STALE_MS = 10_000;

/** Cap while draining, as a share of rate × min RTT (0.5, BBR's PROBE_RTT): the queue empties. */
const DRAIN_GAIN = 0.5;

/** Least time a drain holds the cap down, in ms (a clean sample needs the queue gone, not just begun). */
const MIN_DRAIN_MS = 20;

/**
 * Shortest interval a delivery-rate sample spans, in ms (and at least RATE_INTERVAL_RTTS min RTTs):
 * PONGs handled in one batch must not read as a burst.
 */
const MIN_RATE_INTERVAL_MS = 2;

/**
 * Min RTTs a delivery-rate sample spans at least (4). Over one RTT, acknowledgements that bunch (a
 * sixteenth of the cap at a time, and more right after a drain) read above the path's rate; the max
 * filter kept those, and the cap's floor (rate × min RTT) then held a queue well over the target
 * (docs/design/flight-and-pacing.md §Knobs).
 */
const RATE_INTERVAL_RTTS = 4;

/**
 * Shortest min RTT on which bulk DATA is paced, in ms (5). Node's timers tick in whole milliseconds,
 * and below 5 ms PACE_BURST_MS of the pacing rate holds most of the cap or more (4/5 of it at 5 ms,
 * all of it at 4): pacing there would cost a timer a millisecond and hold back almost nothing
 * (loopback, a LAN).
 */
export const PACE_MIN_RTT_MS = 5;

/**
 * Pacing rate as a multiple of cap / min RTT (Linux's tcp_pacing_ss_ratio and _ca_ratio are 2 and
 * 1.2, of cwnd / srtt). In the start-up the flight doubles each round trip, so it must leave at twice
 * the rate the cap drains at. After it, 1: the cap already holds the queue target above the path's
 * BDP, so cap / min RTT is a little above the path's rate ((min RTT + target) / min RTT of it) and the
 * cap, not the pacer, decides the rate; a larger gain let a download after an idle spell build a queue
 * again (docs/design/flight-and-pacing.md §Pacing, §Knobs; ADR 0033).
 */
const PACE_GAIN_STARTUP = 2;
const PACE_GAIN = 1;

/**
 * Most bytes that may leave at once when pacing, as ms of the pacing rate (4): a timer that fires a
 * millisecond or two late, or a busy event loop, does not cost rate, and the bottleneck queues at
 * most a few ms of it. At least MIN_PACE_BURST bytes (docs/design/flight-and-pacing.md §Pacing).
 */
const PACE_BURST_MS = 4;
const MIN_PACE_BURST = 64 * 1024;

/** A drain under way: the cap it replaced and the smallest RTT its clean samples saw. */
interface Drain {
  startedAt: number;
  savedCap: number;
  /** When the flight first fell to the drain's cap (probes sent after it see no queue of ours). */
  cleanFrom: number | undefined;
  minRtt: number;
}

interface Probe {
  nonce: bigint;
  /** Bytes sent when the probe left. */
  total: number;
  at: number;
  /** Sent as bulk DATA resumed after the link was idle: no queue of ours stood ahead of it. */
  clean?: boolean;
}

export interface FlightOptions {
  /** Sends a PING with this nonce now (a control frame: it ignores the cap and link backpressure). */
  sendProbe(nonce: bigint): void;
  /** The clock, in ms (performance.now by default; tests pass their own). */
  now?: () => number;
  /**
   * Pacing held bulk DATA back: ask the sender again in `afterMs` (once; later calls before that
   * may be ignored). Without it nothing is paced.
   */
  wake?(afterMs: number): void;
}

export class FlightWindow {
  private readonly now: () => number;
  private sentTotal = 0;
  private ackedTotal = 0;
  private probedTotal = 0;
  private lastProbeAt = -Infinity;
  /** When DATA was last handed to the link, and when the last idle probe went (probeIfIdle). */
  private lastSentAt = -Infinity;
  private idleProbedAt = -Infinity;
  private nextNonce = 1n;
  private readonly probes: Probe[] = [];
  private readonly rate = new WindowedExtreme(RATE_WINDOW_MS, Math.max, 0);
  /** The path's minimum RTT, in ms, and when a sample last confirmed it. */
  private minRttMs = Infinity;
  private minRttAt = -Infinity;
  private drain: Drain | undefined;
  /** After a drain: the cap it replaced, which the cap grows back to by the bytes each ack frees. */
  private refillTo: number | undefined;
  private rateStart: { at: number; acked: number } | undefined;
  private startup = true;
  /** The start-up's last round read more queue than its exit: the next round decides (update). */
  private startupHeld = false;
  private cap = INITIAL_FLIGHT_CAP;
  /** True when bulk DATA was held by the cap since the last acknowledgement. */
  private capLimited = false;
  /** When the current round trip began, its smallest RTT and the bytes acknowledged in it. */
  private roundStart = -Infinity;
  private roundMinRtt = Infinity;
  private roundAcked = 0;
  /** Growth's multiplier below the target, and the rounds in a row it has grown at it. */
  private velocity = 1;
  private growingRounds = 0;
  /** The queue the previous round measured, in ms: growth needs room in two rounds in a row. */
  private lastRoundQueue = 0;
  /** The most DATA in flight at any send of the current round, in bytes. */
  private roundMaxFlight = 0;
  /** Since the last acknowledgement: the most DATA in flight at a send, and whether the cap held bulk. */
  private ackMaxFlight = 0;
  private ackCapLimited = false;
  /** The last acknowledgement's sample showed no more queue than the start-up's exit. */
  private lastAckCalm = true;
  /** Bytes bulk DATA may send now under pacing (a token bucket; negative after a large frame). */
  private paceTokens = Infinity;
  private paceAt = 0;
  /** True when the last ask for bulk DATA was refused by pacing, not by the cap. */
  private pacedHold = false;

  constructor(private readonly opts: FlightOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** DATA bytes sent and not yet acknowledged. */
  get inFlight(): number {
    return this.sentTotal - this.ackedTotal;
  }

  /** Current cap on bytes in flight for bulk DATA. */
  get capBytes(): number {
    return this.cap;
  }

  /**
   * True when a DATA frame of this class may be sent now. Asked before DATA goes after the link was
   * idle, it also sends the idle probe (probeIfIdle).
   */
  allows(interactive: boolean): boolean {
    this.probeIfIdle(interactive);
    const ok = this.inFlight < this.cap + (interactive ? INTERACTIVE_ALLOWANCE : 0);
    if (interactive) return ok;
    if (!ok) this.capLimited = this.ackCapLimited = true;
    this.pacedHold = ok && !this.paceAllows();
    return ok && !this.pacedHold;
  }

  /** Bytes per ms bulk DATA is paced at now, or 0 when it is not paced (a short path, no wake). */
  get pacingRate(): number {
    if (!this.opts.wake || !(this.minRttMs >= PACE_MIN_RTT_MS)) return 0;
    return ((this.startup ? PACE_GAIN_STARTUP : PACE_GAIN) * this.cap) / this.minRttMs;
  }

  /**
   * True when the token bucket lets bulk DATA go now; otherwise asks for a wake-up when it will.
   * Interactive DATA is never paced (it takes tokens, so bulk makes room for it).
   */
  private paceAllows(): boolean {
    const rate = this.pacingRate;
    if (rate === 0) return true;
    const now = this.now();
    const burst = Math.max(MIN_PACE_BURST, rate * PACE_BURST_MS);
    this.paceTokens = Math.min(burst, this.paceTokens + (now - this.paceAt) * rate);
    this.paceAt = now;
    if (this.paceTokens > 0) return true;
    this.opts.wake!(Math.max(1, -this.paceTokens / rate));
    return false;
  }

  /** Counts `bytes` of DATA just handed to the link; probes every PROBES_PER_CAP-th of the cap. */
  sent(bytes: number): void {
    const now = this.now();
    this.sentTotal += bytes;
    this.lastSentAt = now;
    if (this.pacingRate > 0) this.paceTokens -= bytes;
    this.roundMaxFlight = Math.max(this.roundMaxFlight, this.inFlight);
    this.ackMaxFlight = Math.max(this.ackMaxFlight, this.inFlight);
    const spacing = Math.max(MIN_PROBE_SPACING, this.cap / PROBES_PER_CAP);
    if (this.sentTotal - this.probedTotal < spacing) return;
    // Bytes a skipped probe leaves uncovered are covered by the next one, or by flush() when the cap or
    // the link holds the sender.
    if (now - this.lastProbeAt >= MIN_PROBE_INTERVAL_MS) this.probe();
  }

  /**
   * The sender is held by the cap (or went quiet): make sure a probe covers every byte sent, or the
   * bytes after the last one would never be acknowledged and the cap never reopen.
   */
  flush(): void {
    // Held by pacing, the sender goes on within a millisecond or two and its next bytes bring a
    // probe of their own: one here would be a PING per paced burst.
    if (!this.pacedHold && this.sentTotal > this.probedTotal) this.probe();
  }

  /**
   * Bulk DATA is about to go after the link was idle long enough for anything it sent to have left the
   * path (two min RTTs and the target): a probe first, ahead of that DATA, measures the path's RTT with
   * no queue of ours in it. It stands in for a drain: without it, a download that starts more than
   * MIN_RTT_STALE_MS after the last transfer (the usual case: a person starts one on an idle link)
   * began with one, its first acknowledgement finding the min RTT stale — half the BDP for a round
   * trip and more to grow back, at the very start (docs/design/flight-and-pacing.md §Keeping the min
   * RTT honest; ADR 0030).
   */
  private probeIfIdle(interactive: boolean): void {
    if (this.drain || this.idleProbedAt > this.lastSentAt) return; // one per idle spell
    const now = this.now();
    // The link's first DATA gets one too: the probes within its first flight see the queue that
    // flight builds, and the smallest of them would stand as the min RTT until the first drain.
    const seen = this.minRttMs < Infinity;
    if (seen && now - this.lastSentAt <= 2 * this.minRttMs + QUEUE_TARGET_MS) return;
    // A download on a new connection begins with interactive DATA (a stream's first
    // SMALL_STREAM_BYTES, priority.ts), so by the time its bulk DATA goes the link is no longer idle:
    // interactive DATA probes too, but only when the min RTT is stale, where the first
    // acknowledgement would otherwise start a drain (ADR 0044); a keystroke after a pause of a few
    // seconds sends none.
    if (interactive && seen && now - this.minRttAt <= MIN_RTT_STALE_MS) return;
    this.idleProbedAt = now;
    this.probe(true);
  }

  /**
   * A PONG arrived. Returns false when `nonce` is not a flight probe's (the heartbeat's, then);
   * true when it was, after which the cap may have room again.
   */
  ack(nonce: bigint): boolean {
    if ((nonce & FLIGHT_NONCE_BIT) === 0n) return false;
    // PONGs come back in order; any probe before this one was answered implicitly.
    let probe: Probe | undefined;
    while (this.probes.length > 0 && this.probes[0]!.nonce <= nonce) probe = this.probes.shift();
    if (!probe || probe.nonce !== nonce) return true;
    const now = this.now();
    const rtt = now - probe.at;
    const acked = Math.max(0, probe.total - this.ackedTotal);
    this.ackedTotal += acked;
    // A clean sample (probeIfIdle) is the path as it is now: it replaces a min RTT gone stale, lower or
    // higher (a route that got longer while the link was idle), as a drain's would.
    if (rtt <= this.minRttMs || (probe.clean && now - this.minRttAt > MIN_RTT_STALE_MS)) {
      this.minRttMs = rtt;
      this.minRttAt = now;
    }
    this.sampleRate(now);
    if (this.drain) this.drainAck(this.drain, probe, rtt, now);
    else if (this.refillTo !== undefined) this.refill(this.refillTo, acked, now);
    else {
      this.update(probe, rtt, acked, now);
      if (now - this.minRttAt > MIN_RTT_STALE_MS && this.inFlight > 0) this.startDrain(now);
    }
    return true;
  }

  /** True while the cap is held down to measure the min RTT again. */
  get draining(): boolean {
    return this.drain !== undefined;
  }

  /**
   * The min RTT went unconfirmed too long while DATA flowed: hold the flight to DRAIN_GAIN of the
   * path's BDP until the queue it kept has emptied, then measure.
   */
  private startDrain(now: number): void {
    const drainCap = Math.max(MIN_FLIGHT_CAP, DRAIN_GAIN * this.rate.value * this.minRttMs);
    this.drain = {
      startedAt: now,
      savedCap: this.cap,
      cleanFrom: this.inFlight <= drainCap ? now : undefined,
      minRtt: Infinity,
    };
    this.cap = Math.round(Math.min(this.cap, drainCap));
  }

  /**
   * An acknowledgement while draining. Probes sent once the flight was down to the drain's cap saw no
   * queue of ours: their smallest RTT is the path's min RTT now (lower or higher than the old one: a
   * route that got longer is followed too). The drain ends with the first such sample after
   * MIN_DRAIN_MS, and the cap grows back to what it was, ack by ack (the next rounds then correct it
   * against the new min RTT).
   */
  private drainAck(drain: Drain, probe: Probe, rtt: number, now: number): void {
    if (drain.cleanFrom === undefined) {
      if (this.inFlight <= this.cap) drain.cleanFrom = now;
      return;
    }
    if (probe.at < drain.cleanFrom) return;
    drain.minRtt = Math.min(drain.minRtt, rtt);
    if (now - drain.startedAt < MIN_DRAIN_MS) return;
    this.minRttMs = drain.minRtt;
    this.minRttAt = now;
    this.drain = undefined;
    this.refillTo = drain.savedCap;
  }

  /**
   * Growing back after a drain: each acknowledgement lets in twice what it freed (the flight doubles
   * per round trip, as in a slow start), not the whole saved cap at once: that burst, ~half the
   * path's BDP sent in one go, would stand in the bottleneck for a round trip after every drain,
   * under the keystrokes typed then (docs/design/flight-and-pacing.md §Keeping the min RTT honest).
   */
  private refill(target: number, acked: number, now: number): void {
    this.cap = Math.min(target, this.cap + acked);
    if (this.cap < target) return;
    this.refillTo = undefined;
    // The next round starts afresh: the samples of the drain and refill say nothing about the cap.
    this.roundStart = now;
    this.roundMinRtt = Infinity;
    this.roundAcked = 0;
    this.roundMaxFlight = 0;
    this.capLimited = false;
  }

  private probe(clean = false): void {
    const nonce = FLIGHT_NONCE_BIT | this.nextNonce++;
    const at = this.now();
    this.probedTotal = this.sentTotal;
    this.lastProbeAt = at;
    this.probes.push({ nonce, total: this.sentTotal, at, clean });
    this.opts.sendProbe(nonce);
  }

  private sampleRate(now: number): void {
    const start = this.rateStart;
    if (!start) {
      this.rateStart = { at: now, acked: this.ackedTotal };
      return;
    }
    const elapsed = now - start.at;
    if (elapsed < Math.max(MIN_RATE_INTERVAL_MS, RATE_INTERVAL_RTTS * this.minRttMs)) return;
    this.rate.add((this.ackedTotal - start.acked) / elapsed, now);
    this.rateStart = { at: now, acked: this.ackedTotal };
  }

  /**
   * The start-up's growth, ack by ack: the cap grows by STARTUP_ACK_GAIN × the bytes this
   * acknowledgement covered when the sender was held by the cap, or sent half the cap or more, since
   * the acknowledgement before, and this sample and the one before show no more queue than the
   * start-up's exit — TCP's slow start, with HyStart's delay check on every sample. A held round
   * (update) grows nothing.
   * Grown once a round, after it, from the round's acknowledged bytes, the cap reached a window-bound
   * long fat path's BDP a round trip or two after the stream's credit did, and on a slow path a round
   * whose queue showed from its first samples still doubled it (docs/design/flight-and-pacing.md §How
   * the cap moves; ADR 0048).
   */
  private startupAck(rttMs: number, acked: number): void {
    const nearCap = this.ackCapLimited || this.ackMaxFlight >= this.cap * HELD_NEAR_CAP;
    this.ackCapLimited = false;
    this.ackMaxFlight = this.inFlight;
    const calm = rttMs - this.minRttMs <= startupExitMs(this.minRttMs);
    const lastCalm = this.lastAckCalm;
    this.lastAckCalm = calm;
    if (!this.startup || this.startupHeld || !nearCap) return;
    // Two calm samples in a row: one low sample among queued ones (the queue emptied for a moment
    // between two paced bursts) grew the cap where the path's queue stood over the exit, and a first
    // download's queue then sometimes stood far over it (docs/design/flight-and-pacing.md §Knobs).
    if (!calm || !lastCalm) return;
    this.cap = Math.round(Math.min(MAX_FLIGHT_CAP, this.cap + STARTUP_ACK_GAIN * acked));
  }

  /**
   * One acknowledgement: `probe` came back after `rttMs`, acknowledging `acked` more bytes. The cap
   * moves once per round trip (a round ends with the first probe sent after it began), on the
   * round's smallest RTT: a standing queue shows in every sample of a round, a stalled event loop on
   * a loaded machine in a few, and only the former is the path's.
   */
  private update(probe: Probe, rttMs: number, acked: number, now: number): void {
    this.startupAck(rttMs, acked);
    this.roundMinRtt = Math.min(this.roundMinRtt, rttMs);
    this.roundAcked += acked;
    if (probe.at < this.roundStart) return;
    const minRtt = this.minRttMs;
    const queue = this.roundMinRtt - minRtt;
    const roundAcked = this.roundAcked;
    const roundFlight = this.roundMaxFlight;
    this.roundStart = now;
    this.roundMinRtt = Infinity;
    this.roundAcked = 0;
    this.roundMaxFlight = 0;
    const queued = queue > QUEUE_TARGET_MS;
    let cap = this.cap;
    const rate = this.rate.value;
    // A start-up round that reads more queue than its exit, with a flight that could have made it
    // (held by the cap, or near it), only holds the cap; the start-up ends if the next round still
    // reads more than the target, and goes on if the queue was gone (ADR 0044, as HyStart++'s
    // conservative slow start goes back to slow start). One round of a busy end host, or one whose
    // flight was far below the cap, would end it at once, and growing from there to a long fat path's
    // BDP at a target's worth a round takes seconds (docs/design/flight-and-pacing.md §How the cap moves).
    const held = this.startupHeld;
    const exiting = this.startup && held && queue > QUEUE_TARGET_MS;
    this.startupHeld =
      this.startup &&
      !held &&
      queue > startupExitMs(minRtt) &&
      (this.capLimited || roundFlight >= this.cap * HELD_NEAR_CAP);
    if (exiting) this.startup = false;
    // Only a sender the cap held measures the path: one held by credit or by its application says
    // nothing about it (growing on that would inflate the cap, cutting would ratchet it down); the
    // exception is the round that ends the start-up, below.
    if (this.startup) {
      // Held, it neither jumps nor grows until the next round says whether the queue stands.
      // (Its growth by acknowledged bytes is startupAck's, ack by ack.)
      if (!this.startupHeld && rate > 0) cap = Math.max(cap, 2 * rate * (minRtt + QUEUE_TARGET_MS));
    } else if (!queued) {
      // Room below the target: grow by at most the target's worth of bytes a round, less the closer
      // to it. The queue a round adds shows only a round later, so growing by the round's acked bytes
      // (doubling) overshoots and the cap swings, a queue far over the target at each peak. That step
      // is doubled after every VELOCITY_ROUNDS rounds in a row that found room (Copa's velocity): a
      // target's worth a round is a small share of a long path's flight, and growing back from a
      // start-up that ended early would take seconds (docs/design/flight-and-pacing.md §How the cap
      // moves).
      const step = rate > 0 ? Math.min(roundAcked, rate * QUEUE_TARGET_MS) : roundAcked;
      // The room is what both this round and the one before found (ADR 0041).
      const seen = Math.max(queue, this.lastRoundQueue);
      if (this.capLimited) {
        const room = Math.max(0, QUEUE_TARGET_MS - seen);
        cap += Math.min(roundAcked / 2, (this.velocity * step * room) / QUEUE_TARGET_MS);
        // Only rounds with little queue count towards a faster step; one nearer the target holds it.
        if (seen > QUEUE_TARGET_MS / 2) this.growingRounds = 0;
        else if (++this.growingRounds >= VELOCITY_ROUNDS) {
          this.velocity = Math.min(MAX_VELOCITY, this.velocity * 2);
          this.growingRounds = 0;
        }
      }
    } else if (this.capLimited) {
      // More standing queue than the target: shrink to the flight that would have left exactly the
      // target, by at most MAX_CUT a round.
      cap = Math.max(cap * MAX_CUT, (cap * (minRtt + QUEUE_TARGET_MS)) / (minRtt + queue));
    } else if (exiting && roundFlight >= cap * HELD_NEAR_CAP) {
      // The start-up ends on a round held by credit, not by the cap, but near it: the same cut, from
      // the flight that made the queue, so the cap comes down under it and holds the rounds after.
      // A start-up whose last doubling went past what credit lets out was otherwise never cut, and
      // its excess stood in the path for the whole transfer, under every keystroke. Only at the
      // start-up's end: later rounds held by credit with some queue are a loaded host's as often as
      // the path's, and cutting on every such round costs a fast link rate and its receiver CPU
      // (docs/design/flight-and-pacing.md §How the cap moves; ADR 0032).
      const cut = (roundFlight * (minRtt + QUEUE_TARGET_MS)) / (minRtt + queue);
      cap = Math.min(cap, Math.max(roundFlight * MAX_CUT, cut));
    }
    // The velocity lasts while the rounds find room, each held by the cap.
    if (this.startup || queued || !this.capLimited) {
      this.velocity = 1;
      this.growingRounds = 0;
    }
    this.lastRoundQueue = queue;
    // Never below what keeps the pipe full at the best rate seen lately.
    cap = Math.max(cap, BDP_FLOOR_GAIN * rate * minRtt);
    this.cap = Math.round(Math.min(MAX_FLIGHT_CAP, Math.max(MIN_FLIGHT_CAP, cap)));
    this.capLimited = false;
  }
}
