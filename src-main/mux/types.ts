/**
 * Public types of the mux: what `onStream` receives, the options, the events, the logger it uses.
 * Import them from mux.ts, which re-exports them.
 */
import type { RefusalCode } from '../core/refusal-codes.js';
import type { MuxStream } from './stream.js';

/** A stream the peer wants to open; answer with exactly one of accept() or reject(). */
export interface StreamRequest {
  readonly service: string;
  /** Parsed JSON from the OPEN frame; validate it before use. */
  readonly args: unknown;
  /**
   * Accepts the stream (may be called later, asynchronously).
   * @throws ClawError('STREAM_RESET') if the peer gave up meanwhile, ClawError('LINK_CLOSED') if the
   *   link is gone, ClawError('BAD_ARGUMENT') if the request was already answered.
   */
  accept(): MuxStream;
  /**
   * Refuses the stream; the opener's `open()` rejects with ClawError('STREAM_REJECTED', reason) whose
   * `refusal` is `code`.
   */
  reject(code: RefusalCode, reason: string): void;
  /**
   * Aborted when the request can no longer be answered: the opener gave up (RST: its open timed out,
   * or its client went away) or the link closed. Work done before answering (a dial) stops with it.
   */
  readonly signal: AbortSignal;
}

/** The subset of a pino logger the mux uses. */
export interface MuxLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MuxOptions {
  /** Called for every stream the peer opens; without it every OPEN is rejected. */
  onStream?: (req: StreamRequest) => void;
  /** Milliseconds between PINGs (default DEFAULT_HEARTBEAT_MS). */
  heartbeatMs?: number;
  /** Milliseconds of silence after which an idle link is closed as dead (default DEFAULT_DEAD_AFTER_MS). */
  deadAfterMs?: number;
  /**
   * Bounds in ms of the RTO after which a link with data or credit outstanding and no frame back is
   * closed as dead (defaults RTO_FLOOR_MS, RTO_CAP_MS; 0 < floor ≤ cap).
   */
  rtoFloorMs?: number;
  rtoCapMs?: number;
  /** Receive window per stream in bytes, INITIAL_STREAM_WINDOW..MAX_STREAM_WINDOW (default the initial). */
  streamWindow?: number;
  /**
   * Largest window auto-tuning may grow a stream's receive window to, in bytes, streamWindow..MAX_STREAM_WINDOW
   * (default MAX_AUTO_STREAM_WINDOW). Equal to streamWindow turns auto-tuning off.
   */
  maxStreamWindow?: number;
  logger?: MuxLogger;
  /**
   * Whether streams of `service` are the owner's use of the link (links/punch-rounds.ts): each one opened,
   * either way, and each DATA frame it carries, either way, counts in `Mux.uses`. Absent: none counts.
   */
  countsAsUse?: (service: string) => boolean;
}

export type MuxEvents = {
  /** The mux is closed; `error` says why, undefined after a local `close()`. Fires once. */
  close: [error?: Error];
  /** A round-trip time in milliseconds, from a heartbeat or `ping()`. */
  rtt: [ms: number];
};
