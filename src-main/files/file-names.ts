/**
 * The receiving side's check of the names a sender offers (ADR 0051): every entry either gets
 * a local path inside the transfer's folder or the whole offer is refused with why, before a byte is
 * written. Pure: the caller says whether the disk folds case.
 *
 * Refused: an absolute path, a backslash, a drive letter (`C:`), an empty, `.` or `..` component,
 * control characters, a component over 255 bytes, the same path twice, an entry under a file or a link,
 * and a link whose target is absolute or leaves the transfer (or passes through another link).
 * Renamed: names Windows reserves (`CON`, `nul.txt`, `COM1`… → `CON_`, `nul_.txt`), on every platform so
 * that a transfer lands alike everywhere; on Windows also `<>:"|?*` and a trailing dot or space; and on
 * a disk that folds case, a name that differs from an earlier one only in case (`a.txt`, `A.txt` →
 * `A (2).txt`).
 */
import { CONTROL_CHARS } from '../core/names.js';
import type { OfferEntry } from '../protocol/file-frames.js';

/** Longest name of one path component, in UTF-8 bytes (ext4, NTFS, APFS: 255). */
export const MAX_NAME_BYTES = 255;

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
const WINDOWS_BAD = /[<>:"|?*]/g;
const DRIVE = /^[A-Za-z]:/;

export interface NameOptions {
  /** The disk the inbox is on treats `A` and `a` as one name. */
  caseInsensitive: boolean;
  /** The receiver runs on Windows (more characters and trailing dots are renamed). */
  windows?: boolean;
}

export type NameCheck =
  | {
      ok: true;
      /** Each entry's path inside the transfer's folder, `/`-separated, in the offer's order. */
      local: string[];
      /** Entries whose name was changed, as offered and as written. */
      renamed: Array<{ from: string; to: string }>;
    }
  | { ok: false; reason: string };

const shown = (s: string) => JSON.stringify(s);

/** Why one offered component cannot be a name at all, or undefined. */
function componentProblem(c: string): string | undefined {
  if (c === '') return 'has an empty component (// or a trailing /)';
  if (c === '.' || c === '..') return `has a '${c}' component`;
  if (CONTROL_CHARS.test(c)) return 'has control characters';
  if (Buffer.byteLength(c, 'utf8') > MAX_NAME_BYTES) return `has a name over ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** Why an offered path cannot be used, or undefined. */
export function pathProblem(path: string): string | undefined {
  if (path.startsWith('/')) return 'is an absolute path';
  if (path.includes('\\')) return 'has a backslash';
  if (DRIVE.test(path)) return 'starts with a drive letter';
  for (const c of path.split('/')) {
    const problem = componentProblem(c);
    if (problem) return problem;
  }
  return undefined;
}

/** The name as this disk can hold it (reserved names and, on Windows, forbidden characters changed). */
export function safeName(name: string, windows = false): string {
  let out = windows ? name.replace(WINDOWS_BAD, '_').replace(/[. ]+$/, (m) => '_'.repeat(m.length)) : name;
  const dot = out.indexOf('.');
  const stem = dot < 0 ? out : out.slice(0, dot);
  if (RESERVED.test(stem.trimEnd())) out = `${stem}_${dot < 0 ? '' : out.slice(dot)}`;
  return out;
}

/** `name (n).ext` (the extension is what follows the last dot, unless the name starts with it). */
export function numberedName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/** Why a link at `path` with `target` may not be made, or undefined (kinds: every offered path's kind). */
function linkProblem(
  path: string,
  target: string,
  kinds: Map<string, OfferEntry['kind']>,
): string | undefined {
  if (target.startsWith('/') || DRIVE.test(target)) return 'points to an absolute path';
  if (target.includes('\\')) return 'has a backslash in its target';
  if (CONTROL_CHARS.test(target)) return 'has control characters in its target';
  const at = path.split('/').slice(0, -1);
  const parts = target.split('/');
  for (const [i, c] of parts.entries()) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (at.length === 0) return `points outside the transfer (${shown(target)})`;
      at.pop();
      continue;
    }
    at.push(c);
    if (i < parts.length - 1 && kinds.get(at.join('/')) === 'link') return 'points through another link';
  }
  return undefined;
}

/** One folder's children as this disk tells names apart: key → the name used. */
class Folder {
  readonly names = new Map<string, string>();
  constructor(private readonly fold: boolean) {}
  key(name: string): string {
    return this.fold ? name.normalize('NFC').toLowerCase() : name;
  }
}

/** Checks and maps every entry of an offer (see the module comment). */
export function checkOfferNames(entries: readonly OfferEntry[], opts: NameOptions): NameCheck {
  const kinds = new Map<string, OfferEntry['kind']>();
  for (const e of entries) {
    const problem = pathProblem(e.path);
    if (problem) return { ok: false, reason: `the name ${shown(e.path)} ${problem}` };
    if (kinds.has(e.path)) return { ok: false, reason: `the name ${shown(e.path)} is offered twice` };
    kinds.set(e.path, e.kind);
  }
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = kinds.get(parent);
      if (kind === 'file' || kind === 'link') {
        return { ok: false, reason: `${shown(e.path)} lies under ${shown(parent)}, which is a ${kind}` };
      }
    }
    if (e.kind === 'link') {
      const problem = linkProblem(e.path, e.target, kinds);
      if (problem) return { ok: false, reason: `the link ${shown(e.path)} ${problem}` };
    }
  }
  // Offered folder path → its folder here (local path and children), made as entries name them.
  const root = new Folder(opts.caseInsensitive);
  const folders = new Map<string, { local: string; folder: Folder }>([['', { local: '', folder: root }]]);
  const renamed: Array<{ from: string; to: string }> = [];
  const place = (offered: string, isFolder: boolean): string => {
    const cut = offered.lastIndexOf('/');
    const parentPath = cut < 0 ? '' : offered.slice(0, cut);
    const name = offered.slice(cut + 1);
    const parent = folders.get(parentPath) ?? folders.get(place(parentPath, true) && parentPath)!;
    const known = folders.get(offered);
    if (known) return known.local;
    const base = safeName(name, opts.windows ?? false);
    let local = base;
    for (let n = 2; parent.folder.names.has(parent.folder.key(local)); n++) local = numberedName(base, n);
    parent.folder.names.set(parent.folder.key(local), local);
    const full = parent.local === '' ? local : `${parent.local}/${local}`;
    if (isFolder) folders.set(offered, { local: full, folder: new Folder(opts.caseInsensitive) });
    return full;
  };
  const local = entries.map((e) => {
    const at = place(e.path, e.kind === 'dir');
    if (at.split('/').pop() !== e.path.split('/').pop()) renamed.push({ from: e.path, to: at });
    return at;
  });
  return { ok: true, local, renamed };
}
