/**
 * How many inputs a parser's fuzz property runs: 10^4 in `npm test` (CI), FUZZ_RUNS when set —
 * `npm run fuzz` sets 10^5 (issue 28 item 5). A FUZZ_RUNS that is not a positive integer is refused
 * loudly rather than silently running the default.
 */
export const CI_FUZZ_RUNS = 10_000;

export function fuzzRuns(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_RUNS;
  if (raw === undefined || raw === '') return CI_FUZZ_RUNS;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer, not ${raw}`);
  return n;
}
