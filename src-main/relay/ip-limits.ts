import { addressBlock } from '../core/address-block.js';
import type { RelayLimits } from '../protocol/relay-limits.js';

/**
 * Per-IP admission (docs/relay-protocol.md §Limits). Every TCP connection on the relay's port is counted
 * for its address from the moment it is accepted, whatever it turns out to be (docs/security.md: a
 * socket that never finishes its TLS handshake or HTTP request must cost its sender a slot, or one
 * address could hold thousands):
 *
 * - at most `connectionsPerIp` connections (not yet classified, TLS or HTTP in progress, WebSockets);
 * - beyond that, `OVER_LIMIT_PER_IP` more, let through only so that a node upgrading to a WebSocket is
 *   told why (close 4020) instead of seeing a bare reset; anything further is refused at accept;
 * - at most `splicesPerIp` splice connections, counted apart: a node behind a NAT opens one per link,
 *   which would eat the address's connection budget;
 * - at most `authAttemptsPerMinute` WebSocket upgrades (and wrong /metrics tokens) per minute: a token
 *   bucket with that burst, refilled continuously. Charging at the upgrade, not at accept, keeps plain
 *   HTTP (a scraper's GET /metrics without a token) from using up the nodes' attempts.
 *
 * An IPv6 client is counted by its /64 (core/address-block.ts): a host can use any address of its /64.
 */

/** Why an address was refused; the names match RelayCloseCode. */
export type IpRefusal = 'TOO_MANY_CONNECTIONS' | 'AUTH_RATE_LIMITED';

/** Which budget of its address a connection is counted in. */
export type IpSlot = 'connection' | 'over-limit' | 'splice';

/**
 * Connections per address let past connectionsPerIp at once, each only to be refused with its reason
 * once it says what it is; a few are enough, since a refusal takes milliseconds after the upgrade.
 */
export const OVER_LIMIT_PER_IP = 4;

/** The per-address limits of RelayLimits (protocol/relay-limits.ts). */
export type IpLimits = Pick<RelayLimits, 'connectionsPerIp' | 'authAttemptsPerMinute' | 'splicesPerIp'>;

interface IpEntry {
  connections: number;
  overLimit: number;
  splices: number;
  /** Attempts still allowed; fractional between refills. */
  tokens: number;
  /** When `tokens` was last brought up to date, in ms (the clock passed to the constructor). */
  refilledAt: number;
}

/** One minute in ms: the period of authAttemptsPerMinute. */
const MINUTE_MS = 60_000;

export class IpLimiter {
  private readonly entries = new Map<string, IpEntry>();

  constructor(
    private readonly limits: IpLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new TCP connection from `ip`: counted in its address's connections, or in the over-limit room
   * when those are full, or refused (undefined, nothing counted) when both are.
   */
  accept(ip: string): Exclude<IpSlot, 'splice'> | undefined {
    const entry = this.refill(ip);
    if (entry.connections < this.limits.connectionsPerIp) {
      entry.connections += 1;
      return 'connection';
    }
    if (entry.overLimit < OVER_LIMIT_PER_IP) {
      entry.overLimit += 1;
      return 'over-limit';
    }
    return undefined;
  }

  /**
   * A connection counted in `from` turned out to be a splice: it moves to the splice budget. False
   * (and it stays in `from` until released) when that budget is full.
   */
  toSplice(ip: string, from: Exclude<IpSlot, 'splice'>): boolean {
    const entry = this.refill(ip);
    if (entry.splices >= this.limits.splicesPerIp) return false;
    this.release(ip, from);
    entry.splices += 1;
    return true;
  }

  /** Spends one authentication attempt of `ip` (a WebSocket upgrade); false when the bucket is empty. */
  attempt(ip: string): boolean {
    const entry = this.refill(ip);
    if (entry.tokens < 1) return false;
    entry.tokens -= 1;
    return true;
  }

  /**
   * Whether `ip` may make one more authentication attempt that is not a connection (a GET /metrics
   * with a token); charge it with spendAttempt when it fails. Shares the upgrades' bucket, so the
   * relay token cannot be guessed faster over HTTP than over HELLO.
   */
  canAttempt(ip: string): boolean {
    return this.refill(ip).tokens >= 1;
  }

  /** Counts one failed non-connection attempt from `ip` (see canAttempt). */
  spendAttempt(ip: string): void {
    const entry = this.refill(ip);
    entry.tokens = Math.max(0, entry.tokens - 1);
  }

  /** A connection counted in `slot` has closed. */
  release(ip: string, slot: IpSlot): void {
    const entry = this.entries.get(addressBlock(ip));
    if (!entry) return;
    if (slot === 'connection' && entry.connections > 0) entry.connections -= 1;
    else if (slot === 'over-limit' && entry.overLimit > 0) entry.overLimit -= 1;
    else if (slot === 'splice' && entry.splices > 0) entry.splices -= 1;
  }

  /** Connections of `ip` counted in `slot` now (for tests and stats). */
  count(ip: string, slot: IpSlot): number {
    const entry = this.entries.get(addressBlock(ip));
    if (!entry) return 0;
    return slot === 'connection'
      ? entry.connections
      : slot === 'over-limit'
        ? entry.overLimit
        : entry.splices;
  }

  /** Forgets addresses with no connections and a full bucket, so the map only holds active addresses. */
  sweep(): void {
    for (const [ip, entry] of this.entries) {
      const idle = entry.connections === 0 && entry.overLimit === 0 && entry.splices === 0;
      if (idle && this.refill(ip).tokens >= this.limits.authAttemptsPerMinute) this.entries.delete(ip);
    }
  }

  /** Addresses (IPv6: /64 blocks) currently tracked (for tests and stats). */
  get size(): number {
    return this.entries.size;
  }

  private refill(ip: string): IpEntry {
    const now = this.now();
    const key = addressBlock(ip);
    const perMinute = this.limits.authAttemptsPerMinute;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { connections: 0, overLimit: 0, splices: 0, tokens: perMinute, refilledAt: now };
      this.entries.set(key, entry);
      return entry;
    }
    const elapsed = Math.max(0, now - entry.refilledAt);
    entry.tokens = Math.min(perMinute, entry.tokens + (elapsed * perMinute) / MINUTE_MS);
    entry.refilledAt = now;
    return entry;
  }
}
