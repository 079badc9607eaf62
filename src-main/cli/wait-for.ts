/**
 * `--wait DURATION` on the commands a script runs right after starting something in the background
 * (`status`, `ping`, `pending`): instead of failing because the agent, the link or the request is not
 * there yet, they try again until it is or the duration has passed. This is what lets the README's tour
 * run as written, top to bottom, in one shell.
 */
import { ClawError, isClawError, type ErrorCode } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';

/** How often a waiting command asks again: quick enough to feel immediate, rare enough to cost nothing. */
export const WAIT_POLL_MS = 250;

/** The longest `--wait` accepted: a tour step that has not happened within an hour never will. */
export const MAX_WAIT_MS = 3_600_000;

/** Parses a `--wait` value (`30s`, `2m`); 0 when the flag was not given. */
export function parseWait(input: string | undefined): number {
  if (input === undefined) return 0;
  const ms = parseDuration(input, '--wait');
  if (ms > MAX_WAIT_MS) throw new ClawError('BAD_ARGUMENT', `--wait must be at most 1h, got '${input}'`);
  return ms;
}

/**
 * Runs `attempt` until it returns a value, retrying while it throws a ClawError with one of `retryOn`'s
 * codes or returns undefined, for at most `waitMs` (one attempt when `waitMs` is 0).
 * @returns the value; undefined when the time ran out with `attempt` still returning undefined
 * @throws the last error when the time ran out while it failed, or at once any error not in `retryOn`
 */
export async function retryFor<T>(
  waitMs: number,
  retryOn: readonly ErrorCode[],
  attempt: () => Promise<T | undefined>,
  pollMs = WAIT_POLL_MS,
): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined || Date.now() >= deadline) return value;
    } catch (err) {
      if (!retryOn.some((code) => isClawError(err, code)) || Date.now() >= deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}
