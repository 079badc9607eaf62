/**
 * Node IDs that authenticated at this relay recently, so a rendezvous alias can never be one of them.
 * Aliases and node IDs share OPEN's 32-byte target field, and OPEN falls back to aliases when no node
 * with that ID is connected: without this, a node could LISTEN on an offline node's ID and learn who
 * tries to reach it. Bounded in time and count; the oldest entries go first (least recently seen).
 */

/** How long a node ID is remembered after its last authentication, in ms (24 h: a laptop's night offline). */
export const RECENT_NODE_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * Most node IDs remembered, in entries. Each costs roughly 150 bytes (a 64-character key and a
 * timestamp in a Map), so the set stays below 15 MiB even when full.
 */
export const MAX_RECENT_NODES = 100_000;

export class RecentNodes {
  /** Node ID → when it last authenticated, in ms; Map order is oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = RECENT_NODE_TTL_MS,
    private readonly maxEntries = MAX_RECENT_NODES,
  ) {}

  /** Records that `nodeId` authenticated now (moving it to the young end). */
  add(nodeId: string): void {
    this.seen.delete(nodeId);
    this.seen.set(nodeId, this.now());
    // Evict from the old end: expired entries, then the least recently seen while over the cap.
    const cutoff = this.now() - this.ttlMs;
    for (const [id, at] of this.seen) {
      if (at > cutoff && this.seen.size <= this.maxEntries) break;
      this.seen.delete(id);
    }
  }

  /** True when `nodeId` authenticated within the last ttlMs (and has not been evicted for space). */
  has(nodeId: string): boolean {
    const at = this.seen.get(nodeId);
    if (at === undefined) return false;
    if (this.now() - at < this.ttlMs) return true;
    this.seen.delete(nodeId);
    return false;
  }

  get size(): number {
    return this.seen.size;
  }
}
