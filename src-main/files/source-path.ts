/**
 * A file's path on the sending side as saved in outgoing/<id>.json (JSON text): a name need not be
 * UTF-8 on Linux, so a path that is not is saved as a NUL (which no path holds) and its bytes in base64.
 */

/** `path` (bytes) as saved. */
export function savedSource(path: Buffer): string {
  const text = path.toString('utf8');
  return Buffer.from(text, 'utf8').equals(path) ? text : `\0${path.toString('base64')}`;
}

/** A saved source as the path to open (bytes when they are no UTF-8). */
export function sourcePath(saved: string): string | Buffer {
  return saved.startsWith('\0') ? Buffer.from(saved.slice(1), 'base64') : saved;
}

/** A saved source as text to show (a name that is no UTF-8 shows U+FFFD where it is not). */
export function shownSource(saved: string): string {
  return saved.startsWith('\0') ? Buffer.from(saved.slice(1), 'base64').toString('utf8') : saved;
}
