/**
 * `--only NAME,NAME…` of `npm run bench`: measure only some rows. A name selects a row when it is the
 * row's name or a prefix of it up to a `-` (`term-echo` selects `term-echo-idle` and `term-echo-load`,
 * `ui-echo` selects `ui-echo` and `ui-echo-bytes`); `relay-memory` selects the relay memory lines. Pure,
 * unit-tested in test/unit/bench/only.test.ts.
 */

/** What `--only` asked for: null when every row is measured. */
export type RowSelection = readonly string[] | null;

/** Reads `--only a,b` or `--only=a,b` from argv; null without the flag. Throws on an empty list. */
export function parseOnly(argv: readonly string[]): RowSelection {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === '--only') value = argv[i + 1] ?? '';
    else if (arg.startsWith('--only=')) value = arg.slice('--only='.length);
  });
  if (value === undefined) return null;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new Error('--only needs a comma-separated list of row names');
  return names;
}

/** True when `row` is measured under `only`. */
export function selects(only: RowSelection, row: string): boolean {
  if (only === null) return true;
  return only.some((name) => row === name || row.startsWith(`${name}-`));
}

/** The names in `only` that select none of `known` (typos), for a warning. */
export function unknownNames(only: RowSelection, known: readonly string[]): string[] {
  if (only === null) return [];
  return only.filter((name) => !known.some((row) => selects([name], row)));
}
