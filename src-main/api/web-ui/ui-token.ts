/**
 * The web UI's access token: 32 random bytes, hex, kept in the home as `ui-token` (mode 0600) so the
 * link `clawbridge ui` prints keeps working across agent restarts, until it is replaced (`--new-token`).
 * Whoever has the token drives the node, like whoever can reach the control socket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync, tempPathFor } from '../../home/durable-file.js';
import { removeStaleTempFiles } from '../../home/stale-temp-files.js';
import { fileProblem } from '../../core/file-errors.js';

/** File name of the token in the home. */
export const UI_TOKEN_FILE = 'ui-token';

/** Token length in bytes (256 bits: not guessable, even by a page that can try many times a second). */
export const UI_TOKEN_BYTES = 32;

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/** A fresh token: UI_TOKEN_BYTES random bytes as lower-case hex. */
export function newUiToken(): string {
  return randomBytes(UI_TOKEN_BYTES).toString('hex');
}

/** True when `candidate` is the token, compared in constant time (no early exit on the first byte). */
export function tokenMatches(candidate: unknown, token: string): boolean {
  if (typeof candidate !== 'string') return false;
  const expected = Buffer.from(token, 'utf8');
  const given = Buffer.from(candidate, 'utf8');
  // timingSafeEqual needs equal lengths; comparing the token with itself keeps the time the same.
  if (given.length !== expected.length) return !timingSafeEqual(expected, expected);
  return timingSafeEqual(given, expected);
}

/** Writes `token` to the home's token file, mode 0600, replacing it in one step (rename). */
export function saveUiToken(home: string, token: string): void {
  // The agent made the home (private, home-dir.ts) before it starts the web UI; this only covers a
  // caller that did not.
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = join(home, UI_TOKEN_FILE);
  try {
    replaceFileSync(path, token + '\n', 0o600);
  } catch (err) {
    // The rename fails on the token's own path (a directory there), the write on the temp file's.
    throw fileProblem(
      (err as NodeJS.ErrnoException).code === 'EISDIR' ? path : tempPathFor(path),
      err,
      'write',
    );
  }
}

/**
 * The saved token, or a new one saved in its place when there is none, it is not a token, or others
 * could read the file (then it may have leaked: replaced rather than just re-moded).
 */
export function loadOrCreateUiToken(home: string): string {
  removeStaleTempFiles(home, [UI_TOKEN_FILE]);
  const path = join(home, UI_TOKEN_FILE);
  try {
    const text = readFileSync(path, 'utf8').trim();
    const privateFile = process.platform === 'win32' || (statSync(path).mode & 0o077) === 0;
    if (TOKEN_PATTERN.test(text) && privateFile) return text;
  } catch {
    // no token yet
  }
  const token = newUiToken();
  saveUiToken(home, token);
  return token;
}
