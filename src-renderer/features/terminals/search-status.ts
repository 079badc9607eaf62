/**
 * What the terminal's search says after each Next or Previous, in its live region: no matches, or
 * which match of how many. Pure, so node:test checks it.
 */

/**
 * Most matches a search highlights and counts (1000, xterm's own default): counting goes no further, so
 * a search for `e` in 5000 lines of scrollback stays quick; the count then says "1000 or more".
 */
export const SEARCH_LIMIT = 1000;

/** One search's result: whether a match was selected, and the search addon's count when it gave one. */
export interface SearchOutcome {
  found: boolean;
  /** The selected match's place among all of them (0-based), or −1 when unknown. */
  index: number;
  /** How many matches there are (at most `limit`), or null when the addon did not count. */
  count: number | null;
}

/** `No matches for “x”`, `Match 2 of 5`, `Match 3 of 1000 or more`; empty before any search. */
export function searchStatus(query: string, outcome: SearchOutcome | null, limit: number): string {
  if (!query || !outcome) return '';
  const { found, index, count } = outcome;
  if (!found || count === 0) return `No matches for “${query}”`;
  if (count === null) return 'Match found';
  const total = count >= limit ? `${limit} or more` : String(count);
  if (index < 0) return `${total} matches`;
  return `Match ${index + 1} of ${total}`;
}
