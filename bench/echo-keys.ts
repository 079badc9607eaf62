/**
 * How many keys an echo phase times. CLAWBRIDGE_BENCH_ECHO_KEYS sets another count than a row's own
 * default, for a longer look at the tail: the p99 of 40 keys is their largest but one, so a stall that
 * comes once in ten seconds decides it or misses it by chance. Pure, unit-tested in
 * test/unit/bench/echo-keys.test.ts.
 */

/** Most keys a phase may time (500 keys 100 ms apart take 50 s). */
export const MAX_ECHO_KEYS = 500;

/** The count `value` (CLAWBRIDGE_BENCH_ECHO_KEYS) asks for, or `fallback` without one; throws on a bad one. */
export function echoKeyCount(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_ECHO_KEYS) {
    throw new Error(
      `CLAWBRIDGE_BENCH_ECHO_KEYS must be a whole number from 1 to ${MAX_ECHO_KEYS}, not '${value}'`,
    );
  }
  return n;
}
