/**
 * Reconnect schedule (architecture.md §Links and paths): 1, 2, 4, 8, 16, 30 s (max), each with up to 20 % random jitter so a
 * relay restart does not bring every node back in the same millisecond.
 */

/** First retry delay, in ms. */
export const BACKOFF_BASE_MS = 1000;
/** Longest delay between attempts, in ms. */
export const BACKOFF_MAX_MS = 30_000;
/** Fraction of the delay added at random. */
export const BACKOFF_JITTER = 0.2;

/** Delay before retry number `attempt` (0-based), in ms. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  return jitteredMs(
    Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt, 10)), BACKOFF_MAX_MS),
    random,
  );
}

/** `ms` plus up to BACKOFF_JITTER of it at random, so timers set together do not fire together. */
export function jitteredMs(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 + BACKOFF_JITTER * random()));
}
