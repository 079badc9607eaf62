/**
 * The `Range` header of a request for a file of a known size (RFC 9110 §14): pure. One range of bytes
 * is served as 206 (what `curl -C -`, `curl -r` and download managers send); a header this server
 * does not serve as a range (another unit, several ranges, a malformed one) is ignored and the whole
 * file sent, as the RFC allows; a well-formed single range that starts past the end is 416.
 */

export type RangeAnswer =
  /** No range to honour: send the whole file (200). */
  | { kind: 'whole' }
  /** Bytes `start` to `end`, both included (206). */
  | { kind: 'part'; start: number; end: number }
  /** No byte of the file is in the range (416 with `Content-Range: bytes *\/size`). */
  | { kind: 'unsatisfiable' };

/** Longest Range header looked at, in characters; a longer one is ignored (whole file). */
export const MAX_RANGE_HEADER_CHARS = 200;

const SINGLE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/** What to send for `header` (undefined: none) of a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined || header.length > MAX_RANGE_HEADER_CHARS) return { kind: 'whole' };
  const m = SINGLE.exec(header);
  if (!m) return { kind: 'whole' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'whole' };
  // Digits beyond what a number holds exactly: a position past the end of any file served here.
  const big = (digits: string) => digits.length > 15;
  if (first === '') {
    // A suffix: the last `last` bytes (all of them when the file is shorter).
    const n = big(last) ? Infinity : Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  if (big(first)) return { kind: 'unsatisfiable' };
  const start = Number(first);
  const stop = last === '' || big(last) ? Infinity : Number(last);
  if (stop < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = Math.min(stop, size - 1);
  return { kind: 'part', start, end };
}
