/**
 * The arithmetic of the bench's link emulator (bench/link-emulator.ts), free of sockets and clocks so it
 * is unit-tested (test/unit/bench/link-shape.test.ts). One direction of an emulated link is a bottleneck
 * that sends `rate` bytes per second (a token bucket whose burst is one segment, kept as a virtual
 * clock: a segment's finish time is known when it arrives), a queue in front of it bounded in bytes
 * (the bottleneck buffer: while it is full the emulator stops reading from the sender, so the sender's
 * bytes wait, as they do in a router's buffer, and show up as latency) and a one-way delay after it.
 */

export interface DirectionSpec {
  /** One-way propagation delay, in ms. */
  delayMs: number;
  /** Bottleneck rate, in bytes per second. */
  rateBytesPerS: number;
  /** Bytes the bottleneck queue holds (including the segment being sent) before the sender is paused. */
  bufferBytes: number;
}

export interface LinkSpec {
  /** Client side → serving side. */
  up: DirectionSpec;
  /** Serving side → client side. */
  down: DirectionSpec;
  /**
   * Bytes one TCP connection may have in flight per direction (read from the sender, not yet
   * acknowledged by the receiving side's kernel plus the reverse delay): stands in for the kernel's
   * receive window, so a long fat path caps a connection at window / RTT as it does for real.
   */
  windowBytes: number;
}

/** Linux's tcp_rmem maximum (6 MiB): the receive window a connection can grow to by default. */
export const DEFAULT_WINDOW_BYTES = 6 * 1024 * 1024;
/** Time one emulated segment takes through the bottleneck, in ms. */
export const SEGMENT_MS = 0.5;
/** Bounds of a segment, in bytes: at least one Ethernet frame, at most one 64 KiB read. */
export const MIN_SEGMENT_BYTES = 1500;
export const MAX_SEGMENT_BYTES = 64 * 1024;

/**
 * Bytes of one emulated segment at `rateBytesPerS`: a read is split so delivery is no lumpier than
 * SEGMENT_MS of the path (a key behind a 64 KiB read waits 5 ms at 100 Mbit/s), and no finer, since
 * every segment costs the emulator a timer pass and a write (at 1 Gbit/s 16 KiB segments cost it four
 * times the events of 64 KiB ones, and the emulator's lateness grew on a loaded machine).
 */
export function segmentBytes(rateBytesPerS: number): number {
  const bytes = Math.round((rateBytesPerS * SEGMENT_MS) / 1000);
  return Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, bytes));
}

/** A symmetric link: half the RTT each way, the same rate and buffer both ways. */
export function symmetricLink(
  mbitPerS: number,
  rttMs: number,
  bufferBytes: number,
  windowBytes = DEFAULT_WINDOW_BYTES,
): LinkSpec {
  const dir: DirectionSpec = { delayMs: rttMs / 2, rateBytesPerS: (mbitPerS * 1e6) / 8, bufferBytes };
  return { up: { ...dir }, down: { ...dir }, windowBytes };
}

/**
 * One leg of a path split at a relay: the same rate, buffer and window, half the delay, so a path
 * through the relay (two legs) has the profile's RTT, as the direct path does.
 */
export function halfLeg(spec: LinkSpec): LinkSpec {
  return {
    up: { ...spec.up, delayMs: spec.up.delayMs / 2 },
    down: { ...spec.down, delayMs: spec.down.delayMs / 2 },
    windowBytes: spec.windowBytes,
  };
}

/** Checks a spec from another process (IPC) before an emulator uses it. */
export function validLinkSpec(value: unknown): LinkSpec {
  const v = value as Partial<LinkSpec> | null;
  const dir = (d: unknown, name: string): DirectionSpec => {
    const x = d as Partial<DirectionSpec> | null;
    const ok = (n: unknown, min: number) => typeof n === 'number' && Number.isFinite(n) && n >= min;
    if (!x || !ok(x.delayMs, 0) || !ok(x.rateBytesPerS, 1) || !ok(x.bufferBytes, 1))
      throw new Error(`link spec: ${name} needs delayMs ≥ 0, rateBytesPerS ≥ 1, bufferBytes ≥ 1`);
    return { delayMs: x.delayMs!, rateBytesPerS: x.rateBytesPerS!, bufferBytes: x.bufferBytes! };
  };
  if (!v || typeof v.windowBytes !== 'number' || !(v.windowBytes >= 1))
    throw new Error('link spec: windowBytes must be ≥ 1');
  return { up: dir(v.up, 'up'), down: dir(v.down, 'down'), windowBytes: v.windowBytes };
}

/** Items released at their due time, in the order they were pushed (due times never decrease). */
export class TimedFifo<T> {
  private items: Array<{ item: T; at: number }> = [];
  private head = 0;

  push(item: T, at: number): void {
    const last = this.items[this.items.length - 1];
    // Due times of one FIFO are monotone by construction; clamp the rounding noise of float sums.
    this.items.push({ item, at: last && last.at > at ? last.at : at });
  }

  /** Due time of the next item, or undefined when empty. */
  nextAt(): number | undefined {
    return this.items[this.head]?.at;
  }

  /** Removes and returns every item due by `now`, each with its due time. */
  takeDue(now: number): Array<{ item: T; at: number }> {
    const out: Array<{ item: T; at: number }> = [];
    while (this.head < this.items.length && this.items[this.head]!.at <= now)
      out.push(this.items[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}

/** What one segment met at the bottleneck when it arrived. */
export interface QueueEntry {
  /** Bytes in the queue ahead of it. */
  aheadBytes: number;
  /** Time until its first byte is sent, in ms. */
  waitMs: number;
}

/** Summary of a direction's queue while it was watched (bench/link-emulator.ts `stats().queue`). */
export interface QueueSummary {
  /** Segments that entered the queue. */
  segments: number;
  /** Queueing delay per segment, in ms. */
  waitMs: { p50: number; p99: number; max: number };
  /** Bytes ahead of each segment as it arrived (the queue's occupancy as traffic saw it). */
  aheadBytes: { p50: number; p99: number; max: number };
}

/** Per-direction queue samples, bounded (the newest kept), summarised on demand. */
export class QueueLog {
  private waits: number[] = [];
  private ahead: number[] = [];

  constructor(private readonly max = 200_000) {}

  add(entry: QueueEntry): void {
    if (this.waits.length >= this.max) {
      // Drop the older half at once: shifting one at a time would cost O(n) per segment.
      this.waits = this.waits.slice(this.max / 2);
      this.ahead = this.ahead.slice(this.max / 2);
    }
    this.waits.push(entry.waitMs);
    this.ahead.push(entry.aheadBytes);
  }

  clear(): void {
    this.waits = [];
    this.ahead = [];
  }

  summary(): QueueSummary {
    return {
      segments: this.waits.length,
      waitMs: latenessSummary(this.waits),
      aheadBytes: latenessSummary(this.ahead),
    };
  }
}

/**
 * One direction's bottleneck and delay line. `push` at arrival computes when the segment has left the
 * bottleneck (virtual clock) and when it arrives at the far end (+ delay); `take(now)` releases what
 * left the queue and returns what is due at the far end.
 */
export class Bottleneck<T> {
  private lastFinish = Number.NEGATIVE_INFINITY;
  private readonly queue = new TimedFifo<{ item: T; bytes: number }>();
  private readonly line = new TimedFifo<T>();
  /** Bytes in the bottleneck queue now. */
  queuedBytes = 0;

  constructor(readonly spec: DirectionSpec) {}

  /**
   * A segment of `bytes` arrives at `now` (ms). Returns what it meets there (the emulator's per-hop
   * accounting): the bytes queued ahead of it and how long it waits before its own first byte goes
   * out, in ms — the queueing delay the bottleneck adds to it, serialization of itself not included.
   */
  push(item: T, bytes: number, now: number): QueueEntry {
    const start = Math.max(this.lastFinish, now);
    const ahead = this.queuedBytes;
    const finish = start + (bytes * 1000) / this.spec.rateBytesPerS;
    this.lastFinish = finish;
    this.queue.push({ item, bytes }, finish);
    this.queuedBytes += bytes;
    return { aheadBytes: ahead, waitMs: start - now };
  }

  /** Whether the queue is at its bound: the sender must wait. */
  full(): boolean {
    return this.queuedBytes >= this.spec.bufferBytes;
  }

  /** Moves what finished sending by `now` to the delay line; returns what reached the far end. */
  take(now: number): Array<{ item: T; at: number }> {
    for (const { item, at } of this.queue.takeDue(now)) {
      this.queuedBytes -= item.bytes;
      this.line.push(item.item, at + this.spec.delayMs);
    }
    return this.line.takeDue(now);
  }

  /** When something next leaves the queue or reaches the far end, or undefined when idle. */
  nextAt(): number | undefined {
    const a = this.queue.nextAt();
    const b = this.line.nextAt();
    if (a === undefined) return b;
    if (b === undefined) return a;
    return Math.min(a, b);
  }
}

/** Percentiles of the emulator's lateness samples (ms): p50, p99, max; zeros when there are none. */
export function latenessSummary(samples: readonly number[]): { p50: number; p99: number; max: number } {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  return { p50: at(50), p99: at(99), max: s[s.length - 1]! };
}
