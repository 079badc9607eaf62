/**
 * Pure display helpers: fingerprints grouped for eyes, sizes, durations. No DOM, so node:test covers
 * them directly.
 */

/** `8554 4cd4 2bcf …`: groups of four, so two screens are easy to compare by eye (architecture.md §Identity). */
export function groupFingerprint(fingerprint: string): string[] {
  return fingerprint.toLowerCase().match(/.{1,4}/g) ?? [];
}

/** The first 8 hex characters: names a peer where space is tight. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 8).toLowerCase();
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `0 B`, `512 B`, `1.5 KiB`, `12 MiB`: one decimal below 10 of a unit. */
export function formatBytes(bytes: number): string {
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  const digits = unit === 0 || n >= 10 ? 0 : 1;
  return `${n.toFixed(digits)} ${UNITS[unit]}`;
}

/** `just now`, `42 s`, `5 min`, `3 h`, `2 d`: how long something has been so. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** `just now` or `5 min ago`: when something happened, `seconds` back. */
export function formatAgo(seconds: number): string {
  const d = formatDuration(seconds);
  return d === 'just now' ? d : `${d} ago`;
}

/** `5 min` since an ISO time, or null when there is none. */
export function formatSince(iso: string | null, now: number = Date.now()): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return formatDuration((now - t) / 1000);
}

/** `9:41` left until an ISO time, for a code's countdown; `expired` once past. */
export function formatCountdown(iso: string, now: number = Date.now()): string {
  const left = Math.floor((Date.parse(iso) - now) / 1000);
  if (!(left > 0)) return 'expired';
  const m = Math.floor(left / 60);
  const s = left % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Whether a pasted text is an invite link rather than a bare code (the agent accepts both). */
export function looksLikeInvite(text: string): boolean {
  return /^clawbridge:\/\//i.test(text.trim());
}

/** Crockford base32, as pairing codes are written (src-main/protocol/pair-code.ts PAIR_CODE_ALPHABET). */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters of a code (pair-code.ts PAIR_CODE_CHARS). */
const CODE_CHARS = 12;
/** Look-alikes a code reads as digits. */
const CODE_FOLD: Readonly<Record<string, string>> = { I: '1', L: '1', O: '0' };

/**
 * Why `text` is not a pairing code, before it is sent, or null when it may be one: the rules of
 * src-main/protocol/pair-code.ts parsePairCode (spaces and dashes ignored, any case, I and L read as
 * 1 and O as 0), which a test holds this to. An invite link is the agent's to check. Whether the code
 * is right only its device can tell: a well-formed code goes through.
 */
export function codeProblem(text: string): string | null {
  const t = text.trim();
  // A link (the desktop app's invite, or the page's own `#join?invite=`): the node reads it.
  if (looksLikeInvite(t) || /[?&]invite=/.test(t)) return null;
  const upper = t.replace(/[\s\u002d\u2010-\u2015\u2212]/gu, '').replace(/[a-z]/g, (c) => c.toUpperCase());
  const compact = [...upper].map((c) => CODE_FOLD[c] ?? c).join('');
  const bad = [...compact].find((c) => !CODE_ALPHABET.includes(c));
  if (bad !== undefined) {
    const shown = /^[\x21-\x7e]$/.test(bad)
      ? `“${bad}”`
      : `U+${bad.codePointAt(0)!.toString(16).toUpperCase()}`;
    return `${shown} is not in a pairing code: codes are digits and the letters A–Z except U, like K7QX-M2RT-9WZA`;
  }
  if (compact.length !== CODE_CHARS)
    return `a pairing code is ${CODE_CHARS} characters, like K7QX-M2RT-9WZA: this has ${compact.length}`;
  return null;
}

/** The code part of what a person typed: trimmed, upper-cased unless it is an invite link. */
export function normalizeCode(text: string): string {
  const t = text.trim();
  return looksLikeInvite(t) ? t : t.toUpperCase();
}
