/**
 * Receive-window auto-tuning for the streams of one mux (docs/mux-protocol.md, "Window auto-tuning"),
 * in the spirit of quic-go's and HTTP/2's BDP-based tuning: every stream starts at its configured window;
 * when the application consumed half of it within WINDOW_GROWTH_RTTS round trips, the window grows
 * fourfold (WINDOW_GROWTH_FACTOR), up to a per-stream cap and within a budget shared by all streams of
 * the link. A window never shrinks, and what a stream grew goes back to the budget when the stream is
 * forgotten.
 *
 * A slow reader never grows its window: half a window takes it longer than two round trips to consume,
 * so what it buffers stays bounded by the window it started with.
 */
import { ClawError } from '../core/errors.js';
import { INITIAL_STREAM_WINDOW, MAX_STREAM_WINDOW } from '../protocol/mux-frames.js';
import {
  LINK_WINDOW_GROWTH_BUDGET,
  MAX_AUTO_STREAM_WINDOW,
  MIN_CREDIT_RTT_MS,
  RTT_FILTER_SAMPLES,
  WINDOW_GROWTH_RTTS,
} from './constants.js';

/** Limits of one tuner; the defaults are the constants in constants.ts. */
export interface WindowTunerOptions {
  /** Largest window a stream may grow to, in bytes. */
  maxWindow?: number;
  /** Bytes of growth all streams together may hold, in bytes. */
  budget?: number;
  /** Called once, the first time `next` runs without an RTT sample: send a PING now. */
  probe?: () => void;
}

/**
 * The starting and the largest receive window of a mux's streams, from its options, in bytes.
 * @throws ClawError('BAD_ARGUMENT') for a streamWindow outside INITIAL_STREAM_WINDOW..MAX_STREAM_WINDOW
 *   or a maxStreamWindow outside streamWindow..MAX_STREAM_WINDOW.
 */
export function resolveStreamWindows(opts: { streamWindow?: number; maxStreamWindow?: number }): {
  window: number;
  maxWindow: number;
} {
  const window = opts.streamWindow ?? INITIAL_STREAM_WINDOW;
  if (!Number.isInteger(window) || window < INITIAL_STREAM_WINDOW || window > MAX_STREAM_WINDOW) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `streamWindow must be ${INITIAL_STREAM_WINDOW}..${MAX_STREAM_WINDOW} bytes, got ${window}`,
    );
  }
  const maxWindow = opts.maxStreamWindow ?? Math.max(window, MAX_AUTO_STREAM_WINDOW);
  if (!Number.isInteger(maxWindow) || maxWindow < window || maxWindow > MAX_STREAM_WINDOW) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `maxStreamWindow must be ${window} (streamWindow)..${MAX_STREAM_WINDOW} bytes, got ${maxWindow}`,
    );
  }
  return { window, maxWindow };
}

/**
 * What a window is multiplied by when it grows (4). Credit-bound, a stream grows once a round trip
 * (each half window of credit takes a round trip to come back as data), so doubling takes a new
 * connection several round trips from the initial window to a long fat path's BDP, while raw TCP
 * through the same window-limited path runs at full rate from its first round trip
 * (docs/design/windows.md §Growth, §Knobs; ADR 0044). Growth still stops where the reader, not
 * credit, sets the pace, and the per-stream cap and the link's budget bound what it may reach.
 */
const WINDOW_GROWTH_FACTOR = 4;

export class WindowTuner {
  private readonly maxWindow: number;
  private readonly budget: number;
  private readonly samples: number[] = [];
  private reserved = 0;
  private probe: (() => void) | undefined;

  constructor(opts: WindowTunerOptions = {}) {
    this.maxWindow = opts.maxWindow ?? MAX_AUTO_STREAM_WINDOW;
    this.budget = opts.budget ?? LINK_WINDOW_GROWTH_BUDGET;
    this.probe = opts.probe;
  }

  /** True once a round-trip sample arrived. */
  get hasRtt(): boolean {
    return this.samples.length > 0;
  }

  /** Bytes of growth currently held by streams (for tests and status). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** The credit round trip tuning assumes, in ms: the minimum recent sample, at least MIN_CREDIT_RTT_MS. */
  get creditRttMs(): number {
    let min = Infinity;
    for (const sample of this.samples) if (sample < min) min = sample;
    return min === Infinity ? MIN_CREDIT_RTT_MS : Math.max(MIN_CREDIT_RTT_MS, min);
  }

  /** Records a round-trip time in ms (from a heartbeat or ping). */
  observeRtt(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples.push(ms);
    if (this.samples.length > RTT_FILTER_SAMPLES) this.samples.shift();
  }

  /**
   * The window a stream should advertise next, given its current window and the milliseconds the
   * application took to consume the last half of it. Growth is reserved from the budget; give it back
   * with `release` when the stream is over.
   */
  next(window: number, halfWindowMs: number): number {
    if (this.probe && this.samples.length === 0) {
      const probe = this.probe;
      this.probe = undefined;
      probe();
    }
    if (window >= this.maxWindow) return window;
    if (halfWindowMs >= WINDOW_GROWTH_RTTS * this.creditRttMs) return window;
    const extra = Math.min(
      (WINDOW_GROWTH_FACTOR - 1) * window,
      this.maxWindow - window,
      this.budget - this.reserved,
    );
    if (extra <= 0) return window;
    this.reserved += extra;
    return window + extra;
  }

  /**
   * Growth asked for up front rather than earned: the window a stream gets when it wants `wanted` bytes
   * now (a UDP flow, whose sender is paced by its clients and never credit-bound long enough for `next`
   * to see it drain fast). Capped like tuning growth (maxWindow, and what is left of the budget), and
   * reserved from the same budget; never below `window`.
   */
  reserve(window: number, wanted: number): number {
    const extra = Math.min(wanted - window, this.maxWindow - window, this.budget - this.reserved);
    if (!(extra > 0)) return window;
    this.reserved += extra;
    return window + extra;
  }

  /** Returns growth a finished stream held to the budget. */
  release(bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
  }
}
