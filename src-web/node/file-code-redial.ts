/**
 * How the page's code receiver dials the sender again after its link dropped (ADR 0124 §The page), as
 * `file receive` does (files/code-receiver.ts): the same throwaway identity, backing off between
 * tries, a bounded number of times over the transfer's life and for a bounded time per outage, and
 * never again once the sender refused this node (its offer ended there, so its guest is gone).
 */
import { backoffDelayMs } from '../../src-main/core/backoff.js';
import { BrowserNodeError } from './bytes.js';

/** Most dials of the sender after the first one, over a transfer's life (each after a dropped link). */
export const MAX_REDIALS = 30;
/**
 * How long one outage may last before the page gives up, in ms (10 minutes: a code's default lifetime,
 * past which the sender no longer waits for a receiver that went away).
 */
export const REDIAL_FOR_MS = 10 * 60_000;

/** The timers the dialing waits on: the page's own, or a test's clock. */
export interface RedialTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
}

const pageTimers: RedialTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
};

export class Redials {
  private redials = 0;

  constructor(
    /** Who is dialed, for the error. */
    private readonly name: string,
    private readonly timers: RedialTimers = pageTimers,
  ) {}

  /**
   * Dials with `dial` until it resolves, backing off between tries; `note` hears why each try failed.
   * @throws (rejects) BrowserNodeError('TRANSFER_FAILED') once MAX_REDIALS or REDIAL_FOR_MS ran out, or
   *   at once with the sender's refusal; ('CANCELLED') once `stopped` says so
   */
  async dial(
    dial: () => Promise<void>,
    stopped: () => boolean,
    note: (why: string) => void = () => undefined,
  ): Promise<void> {
    const since = this.timers.now();
    let last = 'the link dropped';
    for (;;) {
      if (stopped()) throw new BrowserNodeError('CANCELLED', `stopped dialing ${this.name}`);
      if (this.redials >= MAX_REDIALS)
        throw new BrowserNodeError(
          'TRANSFER_FAILED',
          `lost ${this.name} ${MAX_REDIALS} times: given up (last: ${last})`,
        );
      if (this.timers.now() - since >= REDIAL_FOR_MS)
        throw new BrowserNodeError(
          'TRANSFER_FAILED',
          `could not reach ${this.name} again for ${REDIAL_FOR_MS / 60_000} minutes: given up (last: ${last})`,
        );
      const wait = backoffDelayMs(Math.min(this.redials, 3));
      this.redials++;
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, wait));
      if (stopped()) throw new BrowserNodeError('CANCELLED', `stopped dialing ${this.name}`);
      try {
        return await dial();
      } catch (err) {
        const e = err instanceof BrowserNodeError ? err : new BrowserNodeError('LINK_CLOSED', String(err));
        // The sender refused this node: its offer ended, and trying again will not change that.
        if (e.refusal !== undefined)
          throw new BrowserNodeError(
            'TRANSFER_FAILED',
            `${this.name} no longer takes this receiver: ${e.message}`,
          );
        last = e.message;
        note(e.message);
      }
    }
  }
}
