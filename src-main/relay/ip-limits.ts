import { addressBlock } from '../core/address-block.js';

/**
 * Per-IP admission (architecture.md §Relay): at most `connectionsPerIp` open connections, and at most
 * `authAttemptsPerMinute` new connections per minute (a token bucket with that burst, refilled
 * continuously). Each connection is one authentication attempt: counting at connect time refuses an
 * abusive address before the relay spends a random challenge or a signature check on it. An IPv6
 * client is counted by its /64 (core/address-block.ts): a host can use any address of its /64.
 */

/** Why an address was refused; the names match RelayCloseCode. */
export type IpRefusal = 'TOO_MANY_CONNECTIONS' | 'AUTH_RATE_LIMITED';

interface IpEntry {
  connections: number;
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
    private readonly connectionsPerIp: number,
    private readonly attemptsPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits a new connection from `ip` (and counts it) or says why not (and counts nothing). */
  admit(ip: string): IpRefusal | undefined {
    const entry = this.refill(ip);
    if (entry.connections >= this.connectionsPerIp) return 'TOO_MANY_CONNECTIONS';
    if (entry.tokens < 1) return 'AUTH_RATE_LIMITED';
    entry.tokens -= 1;
    entry.connections += 1;
    return undefined;
  }

  /**
   * Whether `ip` may make one more authentication attempt that is not a connection (a GET /metrics
   * with a token); charge it with spendAttempt when it fails. Shares the connections' bucket, so the
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

  /** A connection admitted earlier has closed. */
  release(ip: string): void {
    const entry = this.entries.get(addressBlock(ip));
    if (entry && entry.connections > 0) entry.connections -= 1;
  }

  /** Forgets addresses with no connections and a full bucket, so the map only holds active addresses. */
  sweep(): void {
    for (const [ip, entry] of this.entries) {
      if (entry.connections === 0 && this.refill(ip).tokens >= this.attemptsPerMinute)
        this.entries.delete(ip);
    }
  }

  /** Addresses (IPv6: /64 blocks) currently tracked (for tests and stats). */
  get size(): number {
    return this.entries.size;
  }

  private refill(ip: string): IpEntry {
    const now = this.now();
    const key = addressBlock(ip);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { connections: 0, tokens: this.attemptsPerMinute, refilledAt: now };
      this.entries.set(key, entry);
      return entry;
    }
    const elapsed = Math.max(0, now - entry.refilledAt);
    entry.tokens = Math.min(
      this.attemptsPerMinute,
      entry.tokens + (elapsed * this.attemptsPerMinute) / MINUTE_MS,
    );
    entry.refilledAt = now;
    return entry;
  }
}
