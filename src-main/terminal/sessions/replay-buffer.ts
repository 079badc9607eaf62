/**
 * The last bytes of a terminal's output, by absolute offset, so a client that lost its stream can ask
 * for "everything from byte N" and get exactly that (architecture.md §Services: replay what was missed, bounded buffer).
 * A byte ring: memory is the capacity at most, however small the chunks (a list of chunks would cost an
 * object per keystroke echo). It starts small and doubles, so an idle shell does not hold 2 MiB.
 * Plain Uint8Array, no Buffer: a browser node's window keeps its terminals' output in it too.
 */

/**
 * Bytes of output a session keeps for replay (2 MiB). The server pauses the PTY once
 * UNACKED_HIGH_WATER bytes are unacknowledged (terminal-flow.ts), so every byte a client may still
 * ask for is within the last UNACKED_HIGH_WATER + one read + what the kernel holds at exit; twice the
 * high-water mark covers that with room to spare.
 */
export const REPLAY_BUFFER_BYTES = 2 * 1024 * 1024;

/** First allocation of a ring in bytes (64 KiB): an interactive shell rarely needs more. */
const INITIAL_RING_BYTES = 64 * 1024;

export class ReplayBuffer {
  private ring: Uint8Array;
  private total = 0;
  private held = 0;

  /**
   * @param capacity bytes kept, at least 1
   * @param from offset of the first byte appended (a stream taken up in the middle)
   */
  constructor(
    readonly capacity: number = REPLAY_BUFFER_BYTES,
    from = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    if (!Number.isSafeInteger(from) || from < 0) throw new RangeError(`from must be ≥ 0, got ${from}`);
    this.total = from;
    this.ring = new Uint8Array(Math.min(capacity, INITIAL_RING_BYTES));
  }

  /** Offset one past the newest byte: every byte ever appended. */
  get end(): number {
    return this.total;
  }

  /** Offset of the oldest byte still held. */
  get start(): number {
    return this.total - this.held;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    while (this.ring.length < this.capacity && this.held + chunk.length > this.ring.length) this.grow();
    // Only the last `ring.length` bytes of a huge chunk can survive; skip the rest.
    const skip = Math.max(0, chunk.length - this.ring.length);
    const keep = chunk.subarray(skip);
    const size = this.ring.length;
    const at = (this.total + skip) % size;
    const first = Math.min(keep.length, size - at);
    this.ring.set(keep.subarray(0, first), at);
    if (first < keep.length) this.ring.set(keep.subarray(first), 0);
    this.total += chunk.length;
    this.held = Math.min(size, this.held + chunk.length);
  }

  /**
   * A copy of the bytes from offset `from` to the end, or undefined when `from` is outside
   * [start, end] (already overwritten, or never written).
   */
  since(from: number): Uint8Array | undefined {
    if (!Number.isInteger(from) || from < this.start || from > this.total) return undefined;
    return this.copy(from, this.total);
  }

  /**
   * The bytes from `from` to `to` as views of the ring, no copy (two when they wrap; none when the
   * range is empty): valid until the next append, so a caller encodes them at once. Undefined when the
   * range is not within [start, end].
   */
  parts(from: number, to: number): Uint8Array[] | undefined {
    if (!Number.isInteger(from) || !Number.isInteger(to)) return undefined;
    if (from < this.start || to > this.total || from > to) return undefined;
    const size = this.ring.length;
    const at = from % size;
    const first = Math.min(to - from, size - at);
    const out = first > 0 ? [this.ring.subarray(at, at + first)] : [];
    if (first < to - from) out.push(this.ring.subarray(0, to - from - first));
    return out;
  }

  private copy(from: number, to: number): Uint8Array {
    const size = this.ring.length;
    const out = new Uint8Array(to - from);
    const at = from % size;
    const first = Math.min(out.length, size - at);
    out.set(this.ring.subarray(at, at + first), 0);
    if (first < out.length) out.set(this.ring.subarray(0, out.length - first), first);
    return out;
  }

  private grow(): void {
    const bytes = this.copy(this.start, this.total);
    const start = this.start;
    this.ring = new Uint8Array(Math.min(this.capacity, this.ring.length * 2));
    // Re-lay the held bytes at their offsets modulo the new size.
    const size = this.ring.length;
    const at = start % size;
    const first = Math.min(bytes.length, size - at);
    this.ring.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.ring.set(bytes.subarray(first), 0);
  }
}
