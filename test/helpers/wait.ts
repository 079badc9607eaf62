/**
 * Waiting in tests: `until` polls the condition a test waits for, with a deadline, and on timeout says
 * what it waited for; `sleep` is for the rare test where time itself is what is tested ("nothing
 * arrives within 300 ms", an idle timeout) and must say why. A fixed sleep used to wait for something
 * that can be observed is slow when the machine is idle and flaky when it is busy; lint refuses one
 * (eslint.config.js, test/).
 */

/** How long `until` waits unless told, in ms. */
export const UNTIL_DEFAULT_MS = 30_000;
/** The first pause between two checks, in ms: a condition that is nearly there costs almost nothing. */
const FIRST_POLL_MS = 1;
/**
 * The longest pause between two checks, in ms: a check may be a control-socket request to an agent, and
 * a long wait polled at a few ms would keep a core busy that the processes waited for need.
 */
const MAX_POLL_MS = 100;

export interface UntilOptions {
  /** Give up after this many ms (default UNTIL_DEFAULT_MS). */
  timeoutMs?: number;
  /** Poll at this fixed interval in ms instead of backing off from 1 ms to 100 ms. */
  everyMs?: number;
}

/**
 * Polls `check` until it returns a truthy value and returns that value; after `timeoutMs` (a number, or
 * `{ timeoutMs, everyMs }`) rejects with an error naming `what`, and the last error `check` threw, if
 * any (a check that throws is retried, so a request to an agent still starting counts as "not yet").
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false | '' | 0 | Promise<T | undefined | null | false | '' | 0>,
  options: number | UntilOptions = {},
): Promise<T> {
  const { timeoutMs = UNTIL_DEFAULT_MS, everyMs } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let pause = everyMs ?? FIRST_POLL_MS;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const cause = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: last });
    }
    // eslint-disable-next-line clawbridge/no-fixed-sleep -- the one pause between two checks of a condition
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
    if (everyMs === undefined) pause = Math.min(pause * 2, MAX_POLL_MS);
  }
}

/**
 * Lets `ms` of wall-clock time pass, for a test of time itself: that nothing happens within a window,
 * that a deadline or idle timeout fires, or a rate over time. `why` says which (it is the reason lint
 * asks for; read it where the sleep is).
 */
export function sleep(ms: number, why: string): Promise<void> {
  void why;
  // eslint-disable-next-line clawbridge/no-fixed-sleep -- the helper every explained delay goes through
  return new Promise((r) => setTimeout(r, ms));
}
