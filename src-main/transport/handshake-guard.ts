/**
 * Admission for connections to the direct listener that are not yet a link (TCP accepted, TLS and the
 * admit step not done). Until then the remote is anonymous and every connection costs a file descriptor
 * and TLS state, so the listener counts them per source (an IPv4 address or an IPv6 /64, core/address-block.ts) and in total and turns away the excess
 * before spending anything more on them. Pure bookkeeping: the listener owns the sockets and the timers.
 */

import { addressBlock } from '../core/address-block.js';

export class HandshakeGuard {
  /** Connections counted per source block; a source leaves the map when its count drops to 0. */
  private readonly bySource = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly maxPerSource: number,
    private readonly maxTotal: number,
  ) {
    for (const [name, n] of [
      ['maxPerSource', maxPerSource],
      ['maxTotal', maxTotal],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
    }
  }

  /** Counts a new connection from `source` and returns true, or returns false (counting nothing) if a cap is reached. */
  tryAdmit(source: string): boolean {
    const key = addressBlock(source);
    const n = this.bySource.get(key) ?? 0;
    if (n >= this.maxPerSource || this.count >= this.maxTotal) return false;
    this.bySource.set(key, n + 1);
    this.count += 1;
    return true;
  }

  /** A connection admitted earlier became a link or closed. Call exactly once per admitted connection. */
  release(source: string): void {
    const key = addressBlock(source);
    const n = this.bySource.get(key);
    if (n === undefined) return; // never admitted: nothing to give back
    if (n <= 1) this.bySource.delete(key);
    else this.bySource.set(key, n - 1);
    this.count -= 1;
  }

  /** Connections counted now, from all sources. */
  get total(): number {
    return this.count;
  }

  /** Connections counted now from the source's block (an IPv4 address or an IPv6 /64). */
  from(source: string): number {
    return this.bySource.get(addressBlock(source)) ?? 0;
  }

  /** Sources with at least one connection counted (the map never keeps idle sources). */
  get sources(): number {
    return this.bySource.size;
  }
}
