/**
 * Collects the garbage a burst of node registrations leaves, once the burst is over (ADR 0054;
 * docs/design/relay-memory.md): each registration leaves its TLS handshake, certificate parse and
 * signature check in the heap, which an idle relay, whose heartbeats keep the process from ever counting
 * as quiet (runtime/idle-trim.ts), would otherwise hold indefinitely.
 */
import type { Logger } from 'pino';
import {
  IDLE_TRIM_AFTER_MS,
  releaseWhenIdle,
  requestIdleTrim,
  type IdleReleaser,
  type TrimOutcome,
} from '../core/idle-hooks.js';

/** Registrations after which the relay collects once they stop (ADR 0054). */
export const TRIM_AFTER_REGISTRATIONS = 500;

export class RegistrationTrim implements IdleReleaser {
  /** Registrations whose garbage the next trim should collect. */
  private hint = 0;
  /** Registrations since the last trim, and when the last one was (ms). */
  private since = 0;
  private lastAt = 0;

  constructor(
    private readonly log: Logger,
    private readonly trim: () => TrimOutcome = requestIdleTrim,
    private readonly rss: () => number = () => process.memoryUsage.rss(),
  ) {
    releaseWhenIdle(this);
  }

  /** Told to the idle trim (runtime/idle-trim.ts): non-zero makes it collect, for the garbage is in the heap. */
  releaseIdle(): number {
    const hint = this.hint;
    this.hint = 0;
    return hint;
  }

  /** A node registered at `now` (ms). */
  registered(now: number): void {
    this.since += 1;
    this.lastAt = now;
  }

  /** At each sweep tick: trims once TRIM_AFTER_REGISTRATIONS or more came and none for IDLE_TRIM_AFTER_MS. */
  check(now: number): void {
    if (this.since < TRIM_AFTER_REGISTRATIONS || now - this.lastAt < IDLE_TRIM_AFTER_MS) return;
    // Non-zero from releaseIdle makes the trim collect: the garbage is in the heap, not in a pool.
    const registrations = (this.hint = this.since);
    this.since = 0;
    const rssBefore = this.rss();
    const { collected } = this.trim();
    this.log.info(
      { registrations, collected, rssBefore, rssAfter: this.rss() },
      'relay trimmed after a burst of registrations',
    );
  }
}
