/**
 * What a resumable stream (resumable-stream.ts) is built from: the carrier it needs (a MuxStream is
 * one), how it is told about a new one, its options, the pace of its acknowledgements and its buffer
 * marks; and the answer to a resume of a stream that already finished. Apart from the stream so that
 * its state machine reads on its own.
 */
import type { MuxStream } from './stream.js';

/** Fewest bytes received after which an ACKED is sent at once (half the initial stream window). */
export const ACK_STEP_BYTES = 128 * 1024;
/**
 * A stream acks once an eighth of its receive window arrived (if that is more than ACK_STEP_BYTES).
 * Each ACKED is a TLS record of its own on a download's quiet direction and wakes the sender to read
 * it; at a 16 MiB window, an eighth is 512 ACKED per GiB instead of 8,192 (ADR 0036). The sender then
 * keeps at most its window in flight plus an eighth of it.
 */
export const ACK_WINDOW_DIVISOR = 8;
/** Longest an ACKED for received bytes waits, in ms: bounds how long a finished writer waits to FIN. */
export const ACK_DELAY_MS = 5;

/** What a resumable stream needs of its carrier; MuxStream is one. */
export type Carrier = Pick<
  MuxStream,
  | 'write'
  | 'end'
  | 'destroy'
  | 'on'
  | 'once'
  | 'off'
  | 'pause'
  | 'resume'
  | 'isPaused'
  | 'sendAcked'
  | 'peerAcked'
  | 'raiseReceiveWindow'
  | 'receiveWindowSize'
  | 'readableEnded'
  | 'writableFinished'
  | 'destroyed'
>;

/** A carrier and, on the opener side, how to learn that everything sent on it reached the peer. */
export interface Carried {
  stream: Carrier;
  /**
   * Resolves once every frame sent on the carrier so far reached the peer (a PING's PONG on its link,
   * which is ordered); rejects when the link died first. The opener waits for it after its FIN: a
   * finished mux stream is forgotten, so a FIN lost with the link would otherwise leave the peer's half
   * waiting for a resume that never comes.
   */
  confirm?: () => Promise<unknown>;
}

export interface ResumableOptions {
  /** How long the stream waits for a new carrier after losing one, in ms. */
  resumeMs: number;
  /**
   * Opener side: opens a carrier on the peer's current link for this stream, telling it `received`.
   * Called again (after a short pause) while it fails and the deadline has not passed; a refusal with
   * code SESSION_GONE ends the stream at once. Absent on the acceptor side, which waits to be re-attached.
   */
  reopen?: (received: number) => Promise<Carried>;
  /**
   * Opener side: bytes the first carrier already sent with its OPEN (first data with the OPEN,
   * early-data.ts), before this layer wrapped it: kept for a resend and counted as written.
   */
  sentEarly?: readonly Buffer[];
  /** Says a carrier was lost and whether the stream moved on (for logs). */
  onEvent?: (event: 'detached' | 'resumed', detail: string) => void;
}

/**
 * Both buffer marks of the layer, in bytes (256 KiB, four DATA frames). Above a 64 KiB socket read, so
 * one read never trips backpressure by itself: with Node's default mark every chunk paused and resumed
 * the socket or the carrier, which cost a forward throughput (docs/design/windows.md §Knobs).
 */
export const RESUMABLE_HIGH_WATER_BYTES = 256 * 1024;

/** Bytes received after which a receiver with `receiveWindow` sends an ACKED at once. */
export function ackStep(receiveWindow: number): number {
  return Math.max(ACK_STEP_BYTES, Math.floor(receiveWindow / ACK_WINDOW_DIVISOR));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own listener type
type Listener = (...args: any[]) => void;

/**
 * Where the stream stands with its carrier, one state instead of a carrier field, a deadline and flags
 * that could disagree (a deadline running beside a carrier, an awaited offset with no carrier, a FIN
 * counted on a carrier long gone):
 * - `detached`: no carrier (the link died); the stream ends at `deadline` unless one is attached;
 * - `awaiting-offset`: opener side, a new carrier is up but the peer's offset (its first ACKED) has not
 *   arrived, so nothing is written on it yet;
 * - `attached`: bytes flow; `finSent` once this side's FIN went on this carrier (a new carrier gets it
 *   again);
 * - `ended`: destroyed, nothing more.
 * Each half's end (the application's `ending`, the peer's `peerEnded`) is kept apart: it outlives
 * carriers and only ever turns on.
 */
export type CarrierState =
  | { name: 'detached'; deadline: NodeJS.Timeout | undefined }
  | (HeldCarrier & { name: 'awaiting-offset' })
  | (HeldCarrier & { name: 'attached'; finSent: boolean })
  | { name: 'ended' };

/** A carrier the stream holds, and how to stop following its events. */
export interface HeldCarrier {
  carrier: Carrier;
  /** Carried.confirm of this carrier. */
  confirm: (() => Promise<unknown>) | undefined;
  unfollow: () => void;
}

/** What a resumable stream hears from its carrier. */
export interface CarrierEvents {
  data(chunk: Buffer): void;
  acked(offset: number): void;
  end(): void;
  /** Closed (`err` undefined) or failed. */
  gone(err: Error | undefined): void;
}

/** Follows `carrier`'s events until the returned function is called. */
export function followCarrier(carrier: Carrier, events: CarrierEvents): () => void {
  const listeners: [string, Listener][] = [
    ['data', (chunk: Buffer) => events.data(chunk)],
    ['acked', (offset: number) => events.acked(offset)],
    ['end', () => events.end()],
    ['error', (err: Error) => events.gone(err)],
    ['close', () => events.gone(undefined)],
  ];
  for (const [event, listener] of listeners) carrier.on(event, listener);
  return () => {
    for (const [event, listener] of listeners) carrier.off(event, listener);
    // A carrier left behind may still report its end; nothing it says matters any more.
    carrier.on('error', () => undefined);
  };
}

/**
 * Answers a resume for a stream this side already finished cleanly (its FIN may have been lost with the
 * link): says how much it received, and ends. `received` is the finished stream's `receivedBytes`.
 */
export function answerFinished(carrier: Carrier, received: number): void {
  carrier.on('error', () => undefined);
  carrier.sendAcked(received);
  carrier.end();
  carrier.resume();
}
