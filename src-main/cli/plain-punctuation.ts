/**
 * The CLI's own words are plain ASCII in a terminal: typographic punctuation (a curly apostrophe, an
 * ellipsis, an arrow, a dash) shows as `?` or mojibake in a terminal or log that is not UTF-8, cannot
 * be typed back, and breaks a `grep` for the words a user saw. The agent words its lines for the
 * window, which shows typography well; output.ts passes the CLI's prose through this on its way out.
 * A peer's or a user's text (message bodies, file names in tables) is never changed.
 */

/** Each non-ASCII punctuation mark the CLI and the agent write, and the ASCII it becomes. */
const PLAIN: Readonly<Record<string, string>> = {
  '\u2018': "'", // left single quotation mark
  '\u2019': "'", // right single quotation mark, the curly apostrophe
  '\u201c': '"',
  '\u201d': '"',
  '\u2026': '...',
  '\u2025': '..',
  '\u2014': '-', // em dash
  '\u2013': '-', // en dash
  '\u2212': '-', // minus sign
  '\u2192': '->',
  '\u2190': '<-',
  '\u21c4': '<->',
  '\u2264': '<=',
  '\u2265': '>=',
  '\u2260': '!=',
  '\u2248': '~',
  '\u00d7': 'x',
  '\u00a7': 'section ',
  '\u2016': '||',
  '\u00a0': ' ', // no-break space
};

const MARKS = new RegExp(`[${Object.keys(PLAIN).join('')}]`, 'g');

/** `text` with the punctuation in PLAIN written as ASCII; everything else as it is. */
export function plainPunctuation(text: string): string {
  return text.replace(MARKS, (c) => PLAIN[c]!);
}
