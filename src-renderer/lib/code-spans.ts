/**
 * The agent writes commands in its messages between backticks, for a terminal (`clawbridge ui`). The
 * window shows those parts as code instead of the literal backticks. Pure, so it is unit-tested.
 */

/** One run of a message: plain words, or a command to show as code. */
export interface Span {
  text: string;
  code: boolean;
}

/**
 * Splits `message` at backticks: every second run is code. A backtick without its pair stays as it is
 * (a message cut short must not swallow the rest as code); empty runs are dropped.
 */
export function codeSpans(message: string): Span[] {
  const parts = message.split('`');
  // An even number of parts means an odd number of backticks: the last one has no pair.
  const unpaired = parts.length % 2 === 0 ? parts.splice(-2).join('`') : null;
  const spans = parts.map((text, i) => ({ text, code: i % 2 === 1 }));
  if (unpaired !== null) spans.push({ text: unpaired, code: false });
  return spans.filter((s) => s.text !== '');
}
