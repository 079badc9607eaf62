/**
 * From an HTTP request target to the names under a shared folder (docs/adr/0052-share-a-folder.md):
 * pure, no file system. A request path is split on `/` first and each segment percent-decoded after,
 * so an encoded slash (`%2f`) can never make two segments of one; a segment that decodes to `.` or
 * `..`, holds a slash or backslash, a NUL or another control character (or, on Windows, a drive
 * colon) is refused as a whole rather than normalised: a client that sends one is not browsing. A
 * segment starting with `.` (a dot-file) is refused unless the share serves them (`--dotfiles`).
 * What this yields is names only; share-open.ts then checks where they lead on disk (symlinks).
 */

/** Longest request target accepted, in bytes (longer: 414). A path of 255-byte names 16 deep fits. */
export const MAX_SHARE_TARGET_BYTES = 8192;

/** Deepest path accepted, in segments. */
export const MAX_SHARE_DEPTH = 64;

export type SharePath =
  | {
      ok: true;
      /** The names under the shared folder, decoded; empty for the folder itself. */
      segments: string[];
      /** The request named a folder (its path ended in `/`, or was `/`). */
      slash: boolean;
    }
  | { ok: false; status: 400 | 404 | 414; reason: string };

const NOT_FOUND = { ok: false, status: 404, reason: 'not found' } as const;

/**
 * The names `target` (an HTTP request target: `/a/b%20c.txt?x=1`) asks for under the shared folder,
 * or why it is refused: 400 for a malformed target, 404 for one that names something the share never
 * serves (`..`, a dot-file) — the same answer a missing file gets, so a client learns nothing of what
 * lies outside.
 */
export function resolveSharePath(target: string, opts: { dotfiles: boolean; windows?: boolean }): SharePath {
  if (Buffer.byteLength(target, 'utf8') > MAX_SHARE_TARGET_BYTES) {
    return { ok: false, status: 414, reason: 'request target too long' };
  }
  // Only origin-form (`/path`): an absolute-form or `*` target names no file here.
  if (!target.startsWith('/')) return { ok: false, status: 400, reason: 'request target must start with /' };
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  const raw = path.split('/').slice(1);
  const slash = raw.length === 0 || raw[raw.length - 1] === '';
  const segments: string[] = [];
  for (const part of raw) {
    // Empty segments (`//`, or the trailing one of a folder) add nothing (they never mean the root).
    if (part === '') continue;
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      return { ok: false, status: 400, reason: 'bad percent-encoding in the request path' };
    }
    const problem = segmentProblem(name, opts);
    if (problem) return NOT_FOUND;
    segments.push(name);
  }
  if (segments.length > MAX_SHARE_DEPTH) return NOT_FOUND;
  return { ok: true, segments, slash };
}

/** Why one decoded name is never served (undefined: it may be). */
export function segmentProblem(
  name: string,
  opts: { dotfiles: boolean; windows?: boolean },
): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'not a name';
  if (name.includes('/') || name.includes('\\')) return 'holds a path separator';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'holds a control character';
  if (name.startsWith('.') && !opts.dotfiles) return 'a dot-file';
  if ((opts.windows ?? process.platform === 'win32') && /[:*?"<>|]/.test(name)) return 'not a Windows name';
  return undefined;
}

/** The URL path of `segments` (each percent-encoded), with a trailing `/` for a folder. */
export function encodeSharePath(segments: readonly string[], folder: boolean): string {
  const path = `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
  return folder && segments.length > 0 ? `${path}/` : path;
}
