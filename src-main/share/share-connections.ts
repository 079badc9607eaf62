/**
 * The connections a share's file server holds, and what keeps a slow client from holding them: each
 * connection has a deadline for a request's headers of its own (SHARE_HEADERS_MS), counted from
 * accept and again from the end of each answer, that bytes arriving do not move. Node's
 * `headersTimeout` is checked only for the sockets its server accepted itself, not for streams handed
 * in with `emit('connection')`, and the idle timer starts again at each byte: a client sending one
 * header line every few seconds would otherwise keep its place for as long as it likes.
 *
 * When every place is taken, the oldest connection that is waiting for a request's headers makes room
 * for the new one (`makeRoom`): one that is answering a request carries someone's download and is never
 * chosen. So a flood of slow clients churns its own connections, and a real request gets in at once.
 */
import type { Duplex } from 'node:stream';

/**
 * How long a connection may take to send a request's headers, in ms, from when it was accepted or its
 * last answer ended (10 s: a request's headers are a few hundred bytes, sent at once by any client).
 */
export const SHARE_HEADERS_MS = 10_000;

interface Tracked {
  share: string;
  /** Requests being answered now (more than one when a client pipelines). */
  busy: number;
  /** When it started waiting for headers (accept, or the end of its last answer). */
  waitingSince: number;
  deadline?: NodeJS.Timeout | undefined;
}

export class ShareConnections {
  private readonly live = new Map<Duplex, Tracked>();

  constructor(private readonly headersMs: number = SHARE_HEADERS_MS) {}

  /** Tracks `stream` (a connection to `share`) until it closes; its header deadline starts now. */
  add(stream: Duplex, share: string): void {
    const t: Tracked = { share, busy: 0, waitingSince: Date.now() };
    this.live.set(stream, t);
    this.arm(stream, t);
    stream.once('close', () => {
      clearTimeout(t.deadline);
      this.live.delete(stream);
    });
  }

  /** A request's headers arrived on `stream`: it is answering, no deadline runs. */
  requestStarted(stream: Duplex): void {
    const t = this.live.get(stream);
    if (!t) return;
    t.busy++;
    clearTimeout(t.deadline);
    t.deadline = undefined;
  }

  /** An answer on `stream` ended: with none left, it waits for headers again, under a new deadline. */
  requestEnded(stream: Duplex): void {
    const t = this.live.get(stream);
    if (!t) return;
    t.busy = Math.max(0, t.busy - 1);
    if (t.busy > 0 || stream.destroyed) return;
    t.waitingSince = Date.now();
    this.arm(stream, t);
  }

  /**
   * Ends the connection to `share` that has waited longest for a request's headers, to make room for a
   * new one; false when every connection is answering a request.
   */
  makeRoom(share: string): boolean {
    let oldest: [Duplex, Tracked] | undefined;
    for (const entry of this.live) {
      const t = entry[1];
      if (t.share !== share || t.busy > 0 || entry[0].destroyed) continue;
      if (!oldest || t.waitingSince < oldest[1].waitingSince) oldest = entry;
    }
    if (!oldest) return false;
    this.end(oldest[0]);
    return true;
  }

  private arm(stream: Duplex, t: Tracked): void {
    clearTimeout(t.deadline);
    t.deadline = setTimeout(() => this.end(stream), this.headersMs);
    t.deadline.unref();
  }

  /** Ends it at once, and stops counting it: its place is free now, before its stream has closed. */
  private end(stream: Duplex): void {
    const t = this.live.get(stream);
    if (t) clearTimeout(t.deadline);
    this.live.delete(stream);
    stream.destroy();
  }
}
