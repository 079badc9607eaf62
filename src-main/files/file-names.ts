/**
 * The receiving side's check of the names a sender offers (ADR 0051): every entry either gets
 * a local path inside the transfer's folder or the whole offer is refused with why, before a byte is
 * written. Pure: the caller says whether the disk folds case and whether it runs on Windows.
 *
 * Names are bytes (an entry's `raw` when they are no UTF-8) and the receiving system decides what it
 * keeps. Refused, as no honest sender offers them: an absolute path, an empty, `.` or `..` component, a
 * NUL, the same path twice, an entry under a file or a link, and a link whose target is absolute or
 * leaves the transfer (or passes through another link; on Windows, one with a name in its target that
 * ends in a dot or a space, which Windows reads otherwise). On Linux and macOS every other name is kept
 * byte for byte (a backslash, a newline, `CON`, `a:b?` are names there); one the disk still cannot hold
 * (longer than it takes, no UTF-8 on a disk that wants it) is skipped when the transfer is written
 * (file-receiver.ts), not refused here. On Windows what Windows cannot hold is renamed and listed:
 * reserved names (`CON`, `nul.txt`, `COM1`… → `CON_`, `nul_.txt`), `<>:"|?*`, a backslash, control
 * characters and a trailing dot or space. On a disk that folds case, a name that differs from an earlier
 * one only in case is numbered (`a.txt`, `A.txt` → `A (2).txt`).
 */
import { pathBytes, targetBytes, type OfferEntry } from '../protocol/file-frames.js';

/** Longest name of one path component most disks take, in bytes (ext4, NTFS, APFS: 255). */
export const MAX_NAME_BYTES = 255;

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;
// eslint-disable-next-line no-control-regex -- the controls are what Windows refuses in a name
const WINDOWS_BAD = /[<>:"|?*\\\x00-\x1f]/g;
const SLASH = 0x2f;

export interface NameOptions {
  /** The disk the inbox is on treats `A` and `a` as one name. */
  caseInsensitive: boolean;
  /** The receiver runs on Windows (what Windows cannot hold is renamed). */
  windows?: boolean;
}

export type NameCheck =
  | {
      ok: true;
      /** Each entry's path inside the transfer's folder, `/`-separated bytes, in the offer's order. */
      local: Buffer[];
      /** Entries whose name was changed, as offered and as written (shown as text). */
      renamed: Array<{ from: string; to: string }>;
    }
  | { ok: false; reason: string };

const shown = (s: string) => JSON.stringify(s);

/** `bytes` split at every `/` (empty components kept). */
function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SLASH) {
      out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** Why an offered path (bytes) cannot be used at all, or undefined. */
export function pathProblem(path: Buffer): string | undefined {
  if (path[0] === SLASH) return 'is an absolute path';
  if (path.includes(0)) return 'has a NUL';
  for (const c of split(path)) {
    if (c.length === 0) return 'has an empty component (// or a trailing /)';
    const text = c.toString('latin1');
    if (text === '.' || text === '..') return `has a '${text}' component`;
  }
  return undefined;
}

/** The name as Windows can hold it (reserved names and forbidden characters changed). */
export function safeName(name: string): string {
  let out = name.replace(WINDOWS_BAD, '_').replace(/[. ]+$/, (m) => '_'.repeat(m.length));
  const dot = out.indexOf('.');
  const stem = dot < 0 ? out : out.slice(0, dot);
  if (RESERVED.test(stem.trimEnd())) out = `${stem}_${dot < 0 ? '' : out.slice(dot)}`;
  return out;
}

/** `name (n).ext` (the extension is what follows the last dot, unless the name starts with it). */
export function numberedName(name: string, n: number): string {
  return numberedBytes(Buffer.from(name), n).toString();
}

/** numberedName of a name in bytes. */
export function numberedBytes(name: Buffer, n: number): Buffer {
  const dot = name.lastIndexOf(0x2e);
  const mark = Buffer.from(` (${n})`);
  if (dot <= 0) return Buffer.concat([name, mark]);
  return Buffer.concat([name.subarray(0, dot), mark, name.subarray(dot)]);
}

/**
 * Why a link at `path` with `target` may not be made, or undefined (kinds: every offered path's kind,
 * by its bytes in latin1). Read as the lossy text: `/` and `.` are themselves in it.
 */
function linkProblem(
  path: Buffer,
  target: Buffer,
  kinds: Map<string, OfferEntry['kind']>,
  windows: boolean,
): string | undefined {
  if (target[0] === SLASH || /^[A-Za-z]:/.test(target.toString('latin1')))
    return 'points to an absolute path';
  if (target.includes(0)) return 'has a NUL in its target';
  if (windows && target.includes(0x5c)) return 'has a backslash in its target';
  const at = split(path).slice(0, -1);
  const parts = split(target);
  for (const [i, c] of parts.entries()) {
    const text = c.toString('latin1');
    if (text === '' || text === '.') continue;
    // Windows drops a name's trailing dots and spaces: `.. ` or `...` there could climb like `..`.
    if (windows && text !== '..' && /[. ]$/.test(text))
      return `has a name Windows would read otherwise in its target (${shown(target.toString())})`;
    if (text === '..') {
      if (at.length === 0) return `points outside the transfer (${shown(target.toString())})`;
      at.pop();
      continue;
    }
    at.push(c);
    const key = Buffer.concat(at.flatMap((p, k) => (k > 0 ? [Buffer.from('/'), p] : [p]))).toString('latin1');
    if (i < parts.length - 1 && kinds.get(key) === 'link') return 'points through another link';
  }
  return undefined;
}

/** One folder's children as this disk tells names apart: key → taken. */
class Folder {
  readonly names = new Set<string>();
  constructor(private readonly fold: boolean) {}
  key(name: Buffer): string {
    return this.fold ? name.toString().normalize('NFC').toLowerCase() : name.toString('latin1');
  }
}

/** Checks and maps every entry of an offer (see the module comment). */
export function checkOfferNames(entries: readonly OfferEntry[], opts: NameOptions): NameCheck {
  const windows = opts.windows ?? false;
  // Keys: the path's bytes as latin1 (one character a byte: exact, and cheap to compare).
  const kinds = new Map<string, OfferEntry['kind']>();
  const paths = entries.map((e) => pathBytes(e));
  for (const [i, e] of entries.entries()) {
    const problem = pathProblem(paths[i]!);
    if (problem) return { ok: false, reason: `the name ${shown(e.path)} ${problem}` };
    const key = paths[i]!.toString('latin1');
    if (kinds.has(key)) return { ok: false, reason: `the name ${shown(e.path)} is offered twice` };
    kinds.set(key, e.kind);
  }
  for (const [i, e] of entries.entries()) {
    const key = paths[i]!.toString('latin1');
    for (let cut = key.indexOf('/'); cut >= 0; cut = key.indexOf('/', cut + 1)) {
      const kind = kinds.get(key.slice(0, cut));
      if (kind === 'file' || kind === 'link') {
        const parent = Buffer.from(key.slice(0, cut), 'latin1').toString();
        return { ok: false, reason: `${shown(e.path)} lies under ${shown(parent)}, which is a ${kind}` };
      }
    }
    if (e.kind === 'link') {
      const problem = linkProblem(paths[i]!, targetBytes(e), kinds, windows);
      if (problem) return { ok: false, reason: `the link ${shown(e.path)} ${problem}` };
    }
  }
  // Offered folder path (latin1 key) → its folder here (local path and children).
  const root = new Folder(opts.caseInsensitive);
  const folders = new Map<string, { local: Buffer; folder: Folder }>([
    ['', { local: Buffer.alloc(0), folder: root }],
  ]);
  const renamed: Array<{ from: string; to: string }> = [];
  const place = (offered: string, isFolder: boolean): Buffer => {
    const known = folders.get(offered);
    if (known) return known.local;
    const cut = offered.lastIndexOf('/');
    const parentPath = cut < 0 ? '' : offered.slice(0, cut);
    if (!folders.has(parentPath)) place(parentPath, true);
    const parent = folders.get(parentPath)!;
    const name = Buffer.from(offered.slice(cut + 1), 'latin1');
    const base = windows ? Buffer.from(safeName(name.toString())) : name;
    let local: Buffer = base;
    for (let n = 2; parent.folder.names.has(parent.folder.key(local)); n++) local = numberedBytes(base, n);
    parent.folder.names.add(parent.folder.key(local));
    const full = parent.local.length === 0 ? local : Buffer.concat([parent.local, Buffer.from('/'), local]);
    if (isFolder) folders.set(offered, { local: full, folder: new Folder(opts.caseInsensitive) });
    return full;
  };
  const local = entries.map((e, i) => {
    const offered = paths[i]!;
    const at = place(offered.toString('latin1'), e.kind === 'dir');
    const last = (b: Buffer) => b.subarray(b.lastIndexOf(SLASH) + 1);
    if (!last(at).equals(last(offered))) renamed.push({ from: e.path, to: at.toString() });
    return at;
  });
  return { ok: true, local, renamed };
}
