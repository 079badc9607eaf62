/**
 * Keeps trying to bring up each path to one peer (architecture.md §Links and paths): direct and relay attempts run in parallel
 * and independently, each with its own backoff (1, 2, 4 … 30 s + jitter), and start again by themselves
 * when their link dies. Nothing here decides which path is used: PeerLinks does.
 *
 * Two waits are longer (ADR 0074): a path with nothing to try waits for news (kick()), and a path whose
 * last attempt found the peer absent may rest for ABSENT_PEER_RETRY_MS, since a peer that comes back
 * dials its saved peers itself.
 */
import { backoffDelayMs, jitteredMs } from '../core/backoff.js';
import { errorMessage, refusalOf } from '../core/errors.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { observedOf, type PathObservation } from '../reachability/observation.js';
import type { Link, PathKind } from '../transport/link.js';
import { background } from '../core/background.js';

/** A link that closes sooner than this, in ms, counts as a failed attempt for backoff. */
export const SHORT_LIVED_LINK_MS = 10_000;

/**
 * How long a path rests after an attempt that found the peer absent (restsWhen), in ms, before it looks
 * again by itself; news (a relay back, an address, a changed record) ends the rest at once (ADR 0074).
 */
export const ABSENT_PEER_RETRY_MS = 5 * 60_000;

export interface PathAttempt {
  /** Tries once; resolves with a link, or undefined when there is nothing to try right now. */
  (): Promise<Link | undefined>;
}

export class PathRetrier {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** Why the last attempt failed, until one succeeds: shown as the peer's state (peer-state.ts). */
  lastError: string | undefined;
  /** What that failure observed (refused, not on the relay…): the peer's state line is worded from it. */
  lastObserved: PathObservation | undefined;
  /** The other side's refusal code, when it refused the link (e.g. REMOVED). */
  lastRefusal: RefusalCode | undefined;
  /** When it failed, in ms since the epoch: a newer failure outranks an older refusal. */
  lastErrorAt: number | undefined;

  constructor(
    readonly path: PathKind,
    private readonly tryOnce: PathAttempt,
    private readonly isUp: () => boolean,
    private readonly onLink: (link: Link) => void,
    /** `repeated`: the attempt failed as the one before it did (same message): the peer's state is unchanged. */
    private readonly onError: (path: PathKind, message: string, repeated: boolean) => void,
    /**
     * Whether a failure that observed this means the peer is away and will dial back itself when it
     * returns: the path then rests for ABSENT_PEER_RETRY_MS instead of its backoff.
     */
    private readonly restsWhen: (observed: PathObservation | undefined) => boolean = () => false,
  ) {}

  /**
   * Forgets why the last attempt failed: what it tried is no longer what the peer offers (it
   * announced other addresses), so that error would describe a peer that is gone.
   */
  forgetFailure(): void {
    this.lastError = undefined;
    this.lastObserved = undefined;
    this.lastRefusal = undefined;
    this.lastErrorAt = undefined;
  }

  /** Try now (new information arrived: an address, a relay came back). */
  kick(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.schedule(0);
  }

  /**
   * The path's link went down. A link that lived a while starts over at once; one that died young
   * (refused, waiting for approval) keeps backing off, so an unapproved node is not hammered.
   */
  lost(livedMs: number): void {
    if (this.stopped) return;
    if (livedMs >= SHORT_LIVED_LINK_MS) return this.kick();
    this.schedule(backoffDelayMs(this.attempt++));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    // run() reports each failure itself; a throw past that (a bug) is reported the same way.
    this.timer = setTimeout(
      () => background(this.run(), (err) => this.onError(this.path, errorMessage(err), false)),
      delay,
    );
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.stopped || this.running || this.isUp()) return;
    this.running = true;
    try {
      const link = await this.tryOnce();
      if (this.stopped) {
        link?.close('agent stopping');
        return;
      }
      if (link) {
        // The count of attempts is not reset here but when the link proves itself (lost() after a
        // while): a link the other side closes at once (not approved, removed) came up every second.
        this.forgetFailure();
        this.onLink(link);
        return;
      }
      // Nothing to try (no address, no relay up, direct off): what would change that kicks this path
      // (an address learned, a relay connected, the record changed), so no timer is needed until then.
      return;
    } catch (err) {
      const message = errorMessage(err);
      const repeated = message === this.lastError;
      this.lastError = message;
      this.lastObserved = observedOf(this.path, err);
      this.lastRefusal = refusalOf(err);
      this.lastErrorAt = Date.now();
      this.onError(this.path, message, repeated);
    } finally {
      this.running = false;
    }
    if (this.isUp()) return;
    if (this.restsWhen(this.lastObserved)) this.schedule(jitteredMs(ABSENT_PEER_RETRY_MS));
    else this.schedule(backoffDelayMs(this.attempt++));
  }
}
