/**
 * Connection caps for the agent's listeners (docs/security.md "Listener limits"): at most `total`
 * connections at once, and at most `perSource` from one source (an IPv4 address or IPv6 /64, see
 * address-block.ts; a listener whose clients cannot be told apart, the Unix control socket, gives one
 * source for all). What happens at a cap is the listener's choice:
 *
 * - `refuse`: the new connection is not counted (the caller destroys it at once). For listeners whose
 *   connections all carry someone's data (forwards, the control socket): ending one would hurt a user.
 * - `evict`: the oldest connection that is not protected makes room for the new one; only when every
 *   counted one is protected is the new one refused. For listeners where an unproven connection is
 *   worth nothing yet (the web UI before its token): a flood then churns its own sockets instead of
 *   holding the door shut, and a client that proves itself quickly (the owner's page) gets in.
 *
 * Protected connections leave the per-source count (they have a cap of their own, set by the caller)
 * but stay in the total, which is what bounds file descriptors.
 */
import { addressBlock } from './address-block.js';

export interface ConnectionCapOptions<T> {
  /** Connections at once from all sources. */
  total: number;
  /** Unprotected connections at once from one source. */
  perSource: number;
  /** What to do at a cap (see the module comment). */
  policy: 'refuse' | 'evict';
  /** Ends a connection chosen to make room (policy `evict`); it is uncounted before this is called. */
  evict?: (conn: T) => void;
}

interface Entry {
  source: string;
  protected: boolean;
}

export class ConnectionCap<T> {
  /** Every counted connection, oldest first (a Map keeps insertion order). */
  private readonly all = new Map<T, Entry>();
  /** Unprotected connections by source, oldest first. */
  private readonly bySource = new Map<string, Set<T>>();

  constructor(private readonly opts: ConnectionCapOptions<T>) {}

  /** Connections counted now. */
  get size(): number {
    return this.all.size;
  }

  /** Unprotected connections counted for `address`'s source now. */
  sourceCount(address: string | undefined): number {
    return this.bySource.get(addressBlock(address))?.size ?? 0;
  }

  /**
   * Counts `conn`, from the remote `address` (undefined when sources do not differ). False when it may
   * not be counted: the caller then ends it at once, before spending anything more on it.
   */
  admit(conn: T, address: string | undefined): boolean {
    const source = addressBlock(address);
    const mine = this.bySource.get(source);
    if (mine && mine.size >= this.opts.perSource && !this.makeRoom(mine.keys())) return false;
    if (this.all.size >= this.opts.total && !this.makeRoom(this.unprotected())) return false;
    this.all.set(conn, { source, protected: false });
    const set = this.bySource.get(source) ?? new Set<T>();
    set.add(conn);
    this.bySource.set(source, set);
    return true;
  }

  /** `conn` proved itself: it is never evicted and leaves its source's count. */
  protect(conn: T): void {
    const entry = this.all.get(conn);
    if (!entry || entry.protected) return;
    entry.protected = true;
    this.leaveSource(conn, entry.source);
  }

  /** `conn` closed (calling it again, or for a connection never counted, does nothing). */
  release(conn: T): void {
    const entry = this.all.get(conn);
    if (!entry) return;
    this.all.delete(conn);
    if (!entry.protected) this.leaveSource(conn, entry.source);
  }

  /** Evicts the first of `candidates` (oldest first) when the policy allows; true if room was made. */
  private makeRoom(candidates: Iterable<T>): boolean {
    if (this.opts.policy !== 'evict') return false;
    for (const victim of candidates) {
      this.release(victim);
      this.opts.evict?.(victim);
      return true;
    }
    return false;
  }

  private *unprotected(): Generator<T> {
    for (const [conn, entry] of this.all) if (!entry.protected) yield conn;
  }

  private leaveSource(conn: T, source: string): void {
    const set = this.bySource.get(source);
    set?.delete(conn);
    if (set?.size === 0) this.bySource.delete(source);
  }
}
