/**
 * Text that reaches a person's terminal: the one place that decides which characters may act there.
 * Names, addresses, refusal reasons, terminal commands and audit events come from other nodes (or
 * from files they influenced); printed as they are, an ESC starts an escape sequence (a window title,
 * a line erased, OSC 52 writing the clipboard), a C1 character is a one-byte ESC on many terminals
 * (U+009B is CSI), a bidi override reorders what is shown, and a carriage return or newline forges a
 * line. Checks at the boundaries refuse most of these (core/names.ts, core/host-port.ts); this is
 * the defence behind them, used by every CLI output path (cli/output.ts) and by log lines.
 */

/**
 * Every character that may act on a terminal or change how the text around it reads: C0 controls
 * (newline and tab included), DEL, C1 controls, the line and paragraph separators, the bidi
 * controls (embeddings, overrides and isolates, and the marks U+200E, U+200F, U+061C, which reorder
 * neutral characters around them), and lone surrogates (not text; a terminal shows them as it likes).
 */
const UNSAFE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');
/** UNSAFE but for the newline: for text whose line breaks are this program's own (tables). */
const UNSAFE_BUT_NEWLINE_ALL = new RegExp(`(?!\n)${UNSAFE.source}`, 'gu');

function shown(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`;
}

/** True when `text` has a character escapeControlChars would escape. */
export function hasControlChars(text: string): boolean {
  return UNSAFE.test(text);
}

/**
 * A string from elsewhere (one field: a name, an address, a reason) made safe to print: every
 * character in UNSAFE, newline included, is shown as a `\u{…}` escape instead of acting.
 */
export function escapeControlChars(text: string): string {
  return text.replace(UNSAFE_ALL, shown);
}

/**
 * Text this program composed, possibly of several lines (a table whose cells went through
 * escapeControlChars), made safe to write: as escapeControlChars, but its newlines stay line breaks.
 * What a field forgot to escape can then forge at most a line, never drive the terminal.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE_ALL, shown);
}

/**
 * Characters JSON.stringify leaves as they are although a terminal acts on them (DEL, C1, the
 * separators U+2028/U+2029 and the bidi controls); it already writes C0 as `\u00XX` and lone
 * surrogates as `\udXXX`. They can only stand inside a JSON string, never in its syntax.
 */
const JSON_UNSAFE_ALL = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `JSON.stringify(value, null, indent)` with every character a terminal acts on written as a `\uXXXX`
 * escape: the output is plain for the terminal the JSON is printed on, and still parses to exactly
 * the same value (a script reads the name a peer really has, not an escaped form of it).
 */
export function jsonForTerminal(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent);
  // `undefined` (a function, undefined itself): nothing to print, as JSON.stringify says.
  if (text === undefined) return 'null';
  return jsonTextForTerminal(text);
}

/**
 * JSON text written by someone else (a pino log line, which writes C0 as `\u00XX` itself) with the
 * characters jsonForTerminal escapes escaped the same way: the same JSON, plain on a terminal.
 */
export function jsonTextForTerminal(text: string): string {
  return text.replace(JSON_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * pino options for a log on a terminal (the CLI agent's stderr): its log lines quote what
 * peers and clients said, and pino leaves DEL, C1 and the bidi controls in them as they are.
 */
export const terminalLogHooks = { streamWrite: jsonTextForTerminal };
