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

/** Longest node name, in UTF-8 bytes (it travels in pairing messages with a one-byte length). */
export const MAX_NODE_NAME_BYTES = 64;

/** The user-facing rule, for error messages. */
export const NODE_NAME_RULE = `1 to ${MAX_NODE_NAME_BYTES} bytes of UTF-8 without control characters`;

const utf8 = new TextEncoder();
/** UTF-8 length without Node's Buffer: the relay's page checks names with this module too (ADR 0094). */
const utf8Length = (text: string): number => utf8.encode(text).length;

/** Why `name` cannot be a node name, or undefined when it can. */
export function nodeNameProblem(name: string): string | undefined {
  const bytes = utf8Length(name);
  if (bytes === 0 || bytes > MAX_NODE_NAME_BYTES) {
    return `must be 1 to ${MAX_NODE_NAME_BYTES} bytes of UTF-8, got ${bytes}`;
  }
  if (CONTROL_CHARS.test(name)) return 'contains control characters';
  return undefined;
}

/**
 * Characters that show as nothing: format characters (Cf: zero-width space and joiners, bidi marks
 * such as U+200F and U+061C, the byte-order mark, the soft hyphen) and the other default-ignorable
 * code points (the combining grapheme joiner U+034F, Hangul fillers, variation selectors, U+180E).
 * `bob\u200b` would show as `bob`.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/**
 * The one normal form of a node name, for names typed here and names other nodes send: Unicode NFKC
 * (compatibility forms such as full-width `ｂｏｂ` or the ligature `ﬁ` become plain letters), without
 * invisible characters (INVISIBLE), trimmed. What is shown is then what is there. It may be empty
 * (a name of only invisible characters) or longer than MAX_NODE_NAME_BYTES (NFKC can expand): the
 * callers below decide what that means.
 */
export function normalizeNodeName(name: string): string {
  return name.normalize('NFKC').replace(INVISIBLE_ALL, '').trim();
}

/** What a name from another node that has nothing visible left is shown as. */
export const UNNAMED_NODE = 'unnamed';

/**
 * A name another node sent (a hello, a pairing message, an mDNS announcement), checked with
 * nodeNameProblem at its boundary, in normal form (normalizeNodeName): shortened by whole characters
 * to MAX_NODE_NAME_BYTES when NFKC made it longer, and `fallback` when nothing visible is left.
 * Normalised, not refused: older releases let people pick such names, and a peer's link must not fail
 * over its name.
 */
export function receivedNodeName(name: string, fallback = UNNAMED_NODE): string {
  const chars = [...normalizeNodeName(name)];
  while (utf8Length(chars.join('')) > MAX_NODE_NAME_BYTES) chars.pop();
  const normal = chars.join('').trim();
  return normal === '' || nodeNameProblem(normal) !== undefined ? fallback : normal;
}

/**
 * Why a name a person typed here (agent --name, a rename, the window) cannot be used, or undefined.
 * Stricter than what other nodes may send (nodeNameProblem, which older releases' names must pass):
 * a blank name, one with spaces at its ends, or one with invisible characters (a zero-width space)
 * would show as something else than it is. A name that passes is used in its normal form
 * (normalizeNodeName: NFKC), which must still fit.
 */
export function typedNameProblem(name: string): string | undefined {
  const problem = nodeNameProblem(name);
  if (problem) return problem;
  if (name.trim() === '') return 'is blank';
  if (name.trim() !== name) return 'starts or ends with a space';
  if (INVISIBLE.test(name))
    return 'contains invisible characters (zero-width, bidi marks or other format characters)';
  return nodeNameProblem(normalizeNodeName(name));
}

/**
 * Homoglyphs: Cyrillic and Greek letters that look like Latin ones in common fonts, each `FROM`
 * character mapped to the Latin letter at the same place in `TO`. Not Unicode's full confusables
 * table (no dependency for it): a small, reviewed list of the letters that make a Latin name look
 * the same (`bоb` with a Cyrillic о), which is what the same-name check must catch. Capitals are
 * mapped before case folding, since some look like another letter than their lower case (Greek Η
 * looks like H, η like n). Digits that read as letters (0/o, 1/l) are left alone: `node1` and
 * `nodel` are told apart by anyone reading.
 */
const HOMOGLYPHS_UPPER = { from: 'АВЕКМНОРСТХЅІЈҮΑΒΕΖΗΙΚΜΝΟΡΤΥΧ', to: 'abekmhopctxsijyabezhikmnoptyx' };
const HOMOGLYPHS_LOWER = {
  from: 'авеёһіїјкмнорсѕтухԁԛԝӏьгүαβεηικνορτυχγϲϳμως',
  to: 'abeehiijkmhopcstyxdqwlbryabenikvoptuxycjuwc',
};

function homoglyphMap(table: { from: string; to: string }): (text: string) => string {
  const from = [...table.from];
  const map = new Map(from.map((c, i) => [c, table.to[i]!]));
  const chars = new RegExp(`[${table.from}]`, 'gu');
  return (text) => text.replace(chars, (c) => map.get(c) ?? c);
}
const latinUpper = homoglyphMap(HOMOGLYPHS_UPPER);
const latinLower = homoglyphMap(HOMOGLYPHS_LOWER);

/**
 * The form two names are compared in when the question is "would a person take one for the other":
 * normal form (normalizeNodeName), lower case, runs of spaces as one, and Cyrillic/Greek look-alikes
 * as the Latin letters they look like (HOMOGLYPHS_*). `Bob`, `bob\u200b`, ` bob ` and `bоb` (Cyrillic о)
 * all have the key `bob`.
 */
export function confusableKey(name: string): string {
  return latinLower(latinUpper(normalizeNodeName(name)).toLowerCase()).replace(/\s+/gu, ' ');
}

export function isValidNodeName(name: string): boolean {
  return nodeNameProblem(name) === undefined;
}

/** Text from elsewhere made safe to print: one function for every output (core/terminal-text.ts). */
export { escapeControlChars } from './terminal-text.js';
