/**
 * When simultaneous opens are tried again after a round of them gave up (links/traversal.ts): a path
 * between two routers that was blocked may heal, so a pair never stays relayed for good. A new round
 * starts at once when something changes (the peer names candidates again, this node's own candidates
 * change, the owner runs `peers retry`), else after a backoff that doubles per round given up, when
 * the owner used the pair during that wait (usedDuringWait). Every open still counts against the
 * peer's budget (MAX_PUNCHES_PER_PEER), so no schedule here can make this node open more than that. Pure.
 */

/** Simultaneous opens in a round started again after a give-up (the first round tries more). */
export const RETRY_ROUND_ATTEMPTS = 2;
/** Wait after the first round given up, in ms (1 min); it doubles per round given up since. */
export const FIRST_RETRY_AFTER_GIVE_UP_MS = 60_000;
/** Longest wait between rounds, in ms (30 min). */
export const MAX_RETRY_AFTER_GIVE_UP_MS = 30 * 60_000;

/** The wait before the next round, after `roundsGivenUp` rounds (1 or more) gave up. */
export function retryAfterGiveUpMs(roundsGivenUp: number): number {
  const doublings = Math.max(0, Math.min(roundsGivenUp - 1, 16));
  return Math.min(FIRST_RETRY_AFTER_GIVE_UP_MS * 2 ** doublings, MAX_RETRY_AFTER_GIVE_UP_MS);
}

/** How many opens a round may try: the first round MAX_PUNCH_ATTEMPTS, a round after a give-up fewer. */
export function roundAttempts(roundsGivenUp: number, firstRound: number): number {
  return roundsGivenUp === 0 ? firstRound : RETRY_ROUND_ATTEMPTS;
}

/** "in 2 min", "in 45 s", "now": when the next round is, for `peers`. */
export function untilText(at: number, now: number): string {
  const s = Math.ceil((at - now) / 1000);
  if (s <= 0) return 'now';
  if (s < 120) return `in ${s} s`;
  return `in ${Math.round(s / 60)} min`;
}

/**
 * Whether a round due after a give-up starts, by the pair's use: a count that only grows (streams of
 * the owner's services opened and the DATA they carry, pings; mux.ts `uses`, docs/adr/0103-use-over-the-wait.md)
 * read when the wait began and now. Used at any moment of the wait counts, however short: a pair
 * used by short requests is seldom in use at the instant the wait ends. Unused: it waits again, so an
 * idle pair tries nothing. Undefined readings (nothing counts use): always.
 */
export function usedDuringWait(atStart: number | undefined, now: number | undefined): boolean {
  return atStart === undefined || now === undefined || now > atStart;
}
