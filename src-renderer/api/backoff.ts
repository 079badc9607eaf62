/**
 * Reconnect delays towards the local agent. Shorter than the links' 1…30 s (architecture.md §Links and paths): the agent is on
 * this machine, so it is usually back within seconds (a restart), and the banner should go away soon
 * after. Jitter keeps several open windows from knocking at the same instant.
 */

/** First retry, in ms (500): a restarting agent is often up again by then. */
export const RECONNECT_FIRST_MS = 500;

/** Longest wait between retries, in ms (5 s): a local agent that comes back is seen within 5 s. */
export const RECONNECT_MAX_MS = 5000;

/** Delay before retry number `attempt` (0-based): doubling from the first, capped, ±20 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}
