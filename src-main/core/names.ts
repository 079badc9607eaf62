/**
 * Node names come from other nodes (hellos, pairing messages) and from people (flags, the window), and
 * end up in tables, prompts, notifications and logs. One rule for all of them, checked at every
 * boundary, so no name can forge, reorder or hide text where it is shown.
 */

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, bidirectional overrides and isolates,
 * and lone surrogates: names and reasons are shown in lists, prompts and logs, where these could forge,
 * reorder or hide text.
 */
export const CONTROL_CHARS = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202a-\u202e\u2066-\u2069]/u;
const CONTROL_CHARS_ALL = new RegExp(CONTROL_CHARS.source, 'gu');

/** Longest node name, in UTF-8 bytes (it travels in pairing messages with a one-byte length). */
export const MAX_NODE_NAME_BYTES = 64;

/** The user-facing rule, for error messages. */
export const NODE_NAME_RULE = `1 to ${MAX_NODE_NAME_BYTES} bytes of UTF-8 without control characters`;

/** Why `name` cannot be a node name, or undefined when it can. */
export function nodeNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_NODE_NAME_BYTES) {
    return `must be 1 to ${MAX_NODE_NAME_BYTES} bytes of UTF-8, got ${bytes}`;
  }
  if (CONTROL_CHARS.test(name)) return 'contains control characters';
  return undefined;
}

/**
 * Why a name a person typed here (agent --name, a rename, the window) cannot be used, or undefined.
 * Stricter than what other nodes may send (nodeNameProblem, which older releases' names must pass):
 * a blank name, one with spaces at its ends, or one with invisible format characters (a zero-width
 * space) would show as something else than it is.
 */
export function typedNameProblem(name: string): string | undefined {
  const problem = nodeNameProblem(name);
  if (problem) return problem;
  if (name.trim() === '') return 'is blank';
  if (name.trim() !== name) return 'starts or ends with a space';
  if (/\p{Cf}/u.test(name)) return 'contains invisible characters (zero-width or format characters)';
  return undefined;
}

export function isValidNodeName(name: string): boolean {
  return nodeNameProblem(name) === undefined;
}

/**
 * Text from elsewhere made safe to print on a terminal or in a log line: every control character is
 * shown as a `\u{…}` escape instead of acting. Defence in depth behind the checks at the boundaries.
 */
export function escapeControlChars(text: string): string {
  return text.replace(
    CONTROL_CHARS_ALL,
    (c) => `\\u{${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`,
  );
}
