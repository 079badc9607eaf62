/**
 * The build's record of the precompressed copies it wrote (scripts/vite-precompress.ts): one line per
 * copy, `<SHA-256 of the file it encodes> <SHA-256 of the copy itself> <the copy's path>`, the path
 * relative to the build's folder with `/` between folders. A server that reads a copy into memory
 * (the relay's page, relay/page.ts) keeps it only when the line for it names the bytes of the file
 * beside it and of the copy as they are now, without decoding it: decoding every copy at start left
 * megabytes of freed decoder buffers in the process's C heap for good. A copy from an earlier build,
 * one changed since, or one the list does not name is not sent. Pure.
 */

/** The list's file name in the build's folder; no server sends it (its extension is no page type). */
export const PRECOMPRESSED_LIST = 'precompressed.list';

/** What the list says of one copy. */
export interface PrecompressedCopy {
  /** SHA-256 (hex) of the plain file the copy decodes to. */
  readonly plain: string;
  /** SHA-256 (hex) of the copy's own bytes. */
  readonly copy: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The list's text for `copies` (path → hashes), one line each, sorted by path. */
export function formatPrecompressedList(copies: ReadonlyMap<string, PrecompressedCopy>): string {
  return [...copies]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, { plain, copy }]) => `${plain} ${copy} ${path}\n`)
    .join('');
}

/**
 * The copies `text` names, by path. A line that is not two SHA-256s and a path is skipped: the copy it
 * was meant to name is then not sent, which costs compression, never a wrong file.
 */
export function parsePrecompressedList(text: string): Map<string, PrecompressedCopy> {
  const out = new Map<string, PrecompressedCopy>();
  for (const line of text.split('\n')) {
    const [plain = '', copy = '', ...rest] = line.split(' ');
    const path = rest.join(' ');
    if (HEX64.test(plain) && HEX64.test(copy) && path !== '') out.set(path, { plain, copy });
  }
  return out;
}
