/**
 * The requesting agent's account of a session's input (terminal-client.ts): what waits to be sent,
 * and what was sent on the current stream but not yet acknowledged by the peer. Input is numbered over
 * the whole session, as the serving peer counts it (server-session.ts `inputTotal`), so when a stream
 * is lost with keys on it — typed into a path that had just died — the resume learns how many bytes
 * the session took (SESSION's `input`) and exactly the rest is sent again: no key lost, none twice.
 * A peer that does not count (an older node) says nothing, and the unacknowledged bytes are given up
 * as before: the caller tells the user they may not have arrived.
 */
export class InputLedger {
  /** Session offset of the first byte sent on the current stream. */
  private base = 0;
  /** Bytes sent on the current stream, and how many of them the peer acknowledged (its ACK offset). */
  private sentOnStream = 0;
  private ackedOnStream = 0;
  /** The sent bytes not yet acknowledged, oldest first: session offsets [base + acked, base + sent). */
  private unacked: Buffer[] = [];
  /** Not sent yet (no stream, or the window is full), in order. */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** False while this side cannot place its bytes in the session's numbering (see startOver). */
  private numbered = true;

  /** Bytes sent on the current stream that the peer has not acknowledged. */
  get inFlight(): number {
    return this.sentOnStream - this.ackedOnStream;
  }

  /** Bytes waiting to be sent. */
  get waiting(): number {
    return this.queuedBytes;
  }

  /** Input to send after what already waits. */
  enqueue(data: Buffer): void {
    this.queued.push(data);
    this.queuedBytes += data.length;
  }

  /**
   * The next chunk to send, counted as sent, while fewer than `window` bytes are in flight; undefined
   * when nothing waits or the window is full. A chunk is sent whole, so the flight may pass `window`
   * by less than one chunk.
   */
  next(window: number): Buffer | undefined {
    if (this.queued.length === 0 || this.inFlight >= window) return undefined;
    const chunk = this.queued.shift()!;
    this.queuedBytes -= chunk.length;
    this.sentOnStream += chunk.length;
    this.unacked.push(chunk);
    return chunk;
  }

  /**
   * The peer has taken every byte of the current stream before `offset`.
   * @returns false for an offset past what was sent on this stream (a protocol error)
   */
  ack(offset: number): boolean {
    if (offset > this.sentOnStream) return false;
    if (offset <= this.ackedOnStream) return true;
    this.dropUnacked(offset - this.ackedOnStream);
    this.ackedOnStream = offset;
    return true;
  }

  /**
   * A new stream took the session up; `taken` is how many input bytes the session has had in all
   * (SESSION's `input`), undefined when the peer does not say. The bytes the session did not take are
   * queued again in front of what waits. Returns how many sent bytes are given up instead (the peer
   * did not say, or its count does not fit what was sent here).
   */
  resumed(taken: number | undefined): number {
    const from = this.base + this.ackedOnStream;
    const to = this.base + this.sentOnStream;
    const fits = taken !== undefined && this.numbered && taken >= from && taken <= to;
    const lost = fits ? 0 : this.inFlight;
    if (fits) this.dropUnacked(taken - from);
    else this.unacked = [];
    const again = this.unacked;
    this.queued = [...again, ...this.queued];
    this.queuedBytes += again.reduce((n, b) => n + b.length, 0);
    this.unacked = [];
    this.base = taken ?? to;
    this.numbered = taken !== undefined;
    this.sentOnStream = this.ackedOnStream = 0;
    return lost;
  }

  /**
   * Forgets where this side stands in the session's numbering: this agent restarted and takes up a
   * session its previous run opened, so it holds none of the bytes that run sent. The next resume's
   * count becomes the base.
   */
  startOver(): void {
    this.numbered = false;
    this.unacked = [];
    this.sentOnStream = this.ackedOnStream = 0;
  }

  /** Drops the oldest `n` unacknowledged bytes (n ≤ inFlight). */
  private dropUnacked(n: number): void {
    let left = n;
    while (left > 0) {
      const first = this.unacked[0]!;
      if (first.length <= left) {
        this.unacked.shift();
        left -= first.length;
      } else {
        this.unacked[0] = first.subarray(left);
        left = 0;
      }
    }
  }
}
