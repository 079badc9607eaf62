/**
 * Opening what a request names under a shared folder, so that nothing outside it is ever read
 * (docs/adr/0052-share-a-folder.md, docs/security.md §Shared folders). The names come checked from
 * share-path.ts; here the file system is asked where they lead. The file is opened first and then
 * asked where the open descriptor is (Linux: /proc/self/fd; elsewhere its real path, whose device and
 * inode must be the descriptor's), so a symlink swapped between a check and the open cannot slip a
 * file from outside in: what is read is always what was checked. A path whose real location is not
 * inside the folder's real path (a symlink leading out), or passes a dot-file on the way when the
 * share serves none, is "not found", as is anything that is neither a regular file nor a folder
 * (a FIFO would block, a device is no file to download).
 */
import { constants, type Stats } from 'node:fs';
import { open, readdir, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { segmentProblem } from './share-path.js';

export type Opened =
  | { kind: 'file'; handle: FileHandle; stat: Stats }
  | { kind: 'folder'; real: string; stat: Stats }
  | { kind: 'missing' };

const MISSING = { kind: 'missing' } as const;

/** Open flags: read only; a FIFO opens without waiting for a writer (and is then refused). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Whether `real` is `root` or inside it (both real paths), with no dot-file on the way unless allowed. */
export function insideRoot(root: string, real: string, dotfiles: boolean): boolean {
  if (real === root) return true;
  const base = root.endsWith(sep) ? root : root + sep;
  if (!real.startsWith(base)) return false;
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..')) return false;
  return rel.split(sep).every((name) => name !== '..' && (dotfiles || !name.startsWith('.')));
}

/** Where an open descriptor is, as a real path; undefined when the system cannot say for sure. */
async function whereIs(handle: FileHandle, candidate: string, st: Stats): Promise<string | undefined> {
  if (process.platform === 'linux') {
    try {
      const real = await readlink(`/proc/self/fd/${handle.fd}`);
      // A file deleted since it was opened reads `… (deleted)`: nothing to serve a path for.
      if (real.startsWith('/') && !real.endsWith(' (deleted)')) return real;
    } catch {
      // /proc not mounted: the portable way below.
    }
  }
  try {
    const real = await realpath(candidate);
    const now = await stat(real);
    return now.dev === st.dev && now.ino === st.ino ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The real path of the shared folder now, or undefined when it is gone. */
export async function realRoot(dir: string): Promise<string | undefined> {
  try {
    const real = await realpath(dir);
    return (await stat(real)).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens `segments` under the folder whose real path is `root`: a regular file (the caller closes its
 * handle), a folder, or `missing` for anything the share does not serve.
 */
export async function openInShare(
  root: string,
  segments: readonly string[],
  dotfiles: boolean,
): Promise<Opened> {
  const candidate = join(root, ...segments);
  let handle: FileHandle;
  try {
    handle = await open(candidate, OPEN_FLAGS);
  } catch {
    return MISSING;
  }
  let keep = false;
  try {
    const st = await handle.stat();
    const real = await whereIs(handle, candidate, st);
    if (real === undefined || !insideRoot(root, real, dotfiles)) return MISSING;
    if (st.isDirectory()) return { kind: 'folder', real, stat: st };
    if (!st.isFile()) return MISSING;
    keep = true;
    return { kind: 'file', handle, stat: st };
  } catch {
    return MISSING;
  } finally {
    if (!keep) await handle.close().catch(() => undefined);
  }
}

/** One entry of a folder's listing. */
export interface ListedEntry {
  name: string;
  folder: boolean;
  size: number;
  mtimeMs: number;
}

/** Most entries one listing shows (the first of them by name); the page says how many were left out. */
export const MAX_LISTED_ENTRIES = 10_000;

/**
 * The entries of the folder at `real` (inside `root`) that the share serves, sorted by name: dot-files
 * only with `dotfiles`, symlinks only when they lead to a file or folder inside the share.
 */
export async function listShareFolder(
  root: string,
  real: string,
  dotfiles: boolean,
): Promise<{ entries: ListedEntry[]; omitted: number }> {
  const names = (await readdir(real)).filter((n) => segmentProblem(n, { dotfiles }) === undefined);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries: ListedEntry[] = [];
  let omitted = 0;
  for (const name of names) {
    if (entries.length >= MAX_LISTED_ENTRIES) {
      omitted++;
      continue;
    }
    try {
      const path = join(real, name);
      const target = await realpath(path);
      if (!insideRoot(root, target, dotfiles)) continue;
      const st = await stat(target);
      if (!st.isFile() && !st.isDirectory()) continue;
      entries.push({ name, folder: st.isDirectory(), size: st.isFile() ? st.size : 0, mtimeMs: st.mtimeMs });
    } catch {
      // Gone meanwhile, a dangling link, no permission: not listed.
    }
  }
  return { entries, omitted };
}
