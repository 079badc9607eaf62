/**
 * Happy-eyeballs style racing (RFC 8305 §5): attempts start in order, each one `delayMs` after the one
 * before or at once when the one before fails, and the first success wins. Slow candidates do not hold
 * up good ones, and a peer with many addresses is not hit with every dial at the same instant.
 */

/** RFC 8305's recommended Connection Attempt Delay. */
export const ATTEMPT_DELAY_MS = 250;

export interface RaceWin<T> {
  value: T;
  /** Which candidate won. */
  index: number;
}

/**
 * Runs `attempt` over `candidates` staggered; resolves with the first success. Successes that arrive
 * after the winner go to `discard` (e.g. to close a link). Rejects with an AggregateError of every
 * failure, in candidate order, when all fail.
 */
export function raceStaggered<C, T>(
  candidates: readonly C[],
  attempt: (candidate: C) => Promise<T>,
  discard: (value: T) => void,
  delayMs = ATTEMPT_DELAY_MS,
): Promise<RaceWin<T>> {
  return new Promise((resolve, reject) => {
    if (candidates.length === 0) return reject(new AggregateError([], 'nothing to try'));
    const errors: unknown[] = new Array(candidates.length);
    let started = 0;
    let failed = 0;
    let won = false;
    let timer: NodeJS.Timeout | undefined;
    const startNext = () => {
      clearTimeout(timer);
      if (won || started >= candidates.length) return;
      const index = started++;
      attempt(candidates[index]!).then(
        (value) => {
          if (won) return discard(value);
          won = true;
          clearTimeout(timer);
          resolve({ value, index });
        },
        (err: unknown) => {
          errors[index] = err;
          if (++failed === candidates.length)
            return reject(new AggregateError(errors, 'every attempt failed'));
          // A failure frees its turn: the next candidate need not wait out the delay.
          if (index === started - 1) startNext();
        },
      );
      if (started < candidates.length) timer = setTimeout(startNext, delayMs);
    };
    startNext();
  });
}
