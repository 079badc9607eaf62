/**
 * First data with the OPEN (docs/mux-protocol.md §Early data, ADR 0024): an opener may send DATA right
 * after its OPEN, before the ACCEPT, within the stream's initial credit — as TCP Fast Open or QUIC 0-RTT
 * — so a forwarded connection's first request travels with the open instead of one round trip later.
 *
 * Opener: `readEarly` takes what a source (the client's socket) already has while the OPEN is
 * unanswered and hands it to the mux, at most EARLY_DATA_BYTES per stream; the mux keeps those bytes so
 * a REJECT (or a timeout) gives them back to the source, and the caller sees the refusal as before.
 * Acceptor: `EarlyHold` keeps a not-yet-accepted stream's DATA, at most INITIAL_STREAM_WINDOW bytes
 * (anything beyond is a violation), delivers it on accept and drops it on reject.
 *
 * A peer older than this takes DATA before ACCEPT as a protocol violation and closes the link, so an
 * opener sends early only to a peer whose hello lists FEATURE_EARLY_DATA.
 */
import type { Readable } from 'node:stream';
import { INITIAL_STREAM_WINDOW } from '../protocol/mux-frames.js';

/** The word in a hello's `features` that says a node holds DATA that arrives before its ACCEPT. */
export const FEATURE_EARLY_DATA = 'early-data';

/**
 * Most bytes an opener sends before ACCEPT, per stream (64 KiB: one DATA frame). A first request is
 * small; and early DATA skips the link's DATA scheduler (it is the stream's only DATA yet), so it is
 * bounded as an interactive frame is (at most 64 KiB beyond the flight cap). The acceptor allows the
 * protocol's bound, INITIAL_STREAM_WINDOW.
 */
export const EARLY_DATA_BYTES = 64 * 1024;

/** Sends `chunk` early; returns what did not go (the budget or the OPEN's answer stopped it). */
export type EarlyWrite = (chunk: Buffer) => Buffer | undefined;

/**
 * Reads what `source` has, now and as it arrives, into `write` until stopped or `write` leaves a rest
 * (put back with unshift, so the source's next reader gets it first). Returns the stop function. After
 * stop the source is left with no 'readable' listener, so a later pipe() reads it as usual.
 */
export function readEarly(source: Readable, write: EarlyWrite): () => void {
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    source.off('readable', onReadable);
  };
  const onReadable = (): void => {
    let chunk: unknown;
    while (!stopped && (chunk = source.read()) !== null) {
      // Only bytes go early (a source with an encoding is not read at all; see below).
      if (!Buffer.isBuffer(chunk)) {
        stop();
        source.unshift(chunk);
        return;
      }
      const rest = write(chunk);
      if (rest) {
        stop();
        source.unshift(rest);
      }
    }
  };
  if (source.readableEncoding !== null || source.destroyed) return () => undefined;
  source.on('readable', onReadable);
  return stop;
}

/** The DATA held for one stream the peer opened and this side has not answered yet. */
export class EarlyHold {
  private readonly chunks: Buffer[] = [];
  private total = 0;

  /** Bytes held. */
  get bytes(): number {
    return this.total;
  }

  /**
   * Holds one DATA payload (in its pieces, uncopied). Returns a protocol-violation message when the
   * stream's early data would exceed the initial credit the opener had, or undefined when fine.
   */
  add(streamId: number, pieces: readonly Buffer[]): string | undefined {
    let length = 0;
    for (const p of pieces) length += p.length;
    if (this.total + length > INITIAL_STREAM_WINDOW) {
      return `${this.total + length} bytes of DATA on stream ${streamId} before it was accepted, over the ${INITIAL_STREAM_WINDOW}-byte initial credit`;
    }
    this.total += length;
    this.chunks.push(...pieces);
    return undefined;
  }

  /** Hands everything held to the accepted stream, in order, and forgets it. */
  deliver(receive: (pieces: readonly Buffer[]) => string | undefined): string | undefined {
    if (this.chunks.length === 0) return undefined;
    const pieces = this.chunks.splice(0);
    this.total = 0;
    return receive(pieces);
  }
}
