/**
 * The sending side's view of what `file send` names: each path (a file or a folder, walked
 * recursively) becomes entries with names relative to the folder it was named in, each file with its
 * size, executable bit and SHA-256. Symlinks inside a folder are sent as links, never followed; one
 * whose target leaves the folder it was found in is skipped and said so, as are sockets, pipes and
 * devices. A path named on the command line is followed when it is a link (the user named it). A file
 * bigger than KEEP_FILE_BYTES is not read here: it is hashed while it is sent (ADR 0067), and its entry
 * has no `sha256` until then.
 *
 * The tree hash (both sides compute it; COMPLETE carries the receiver's) is SHA-256 over the entries
 * sorted by path, one line each: `F <sha256> <x|-> <path>`, `D <path>`, `L <path> -> <target>`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ClawError, errorMessage } from '../core/errors.js';
import { MAX_ENTRIES, MAX_TRANSFER_BYTES, nameOf, type OfferEntry } from '../protocol/file-frames.js';
import { treeHashInput } from '../protocol/file-tree-hash.js';
import { joinBytes } from './link-safety.js';
import { savedSource } from './source-path.js';

export interface WalkedTree {
  entries: OfferEntry[];
  /** For each entry, the file to read (files only). */
  sources: Array<string | undefined>;
  /** For each small file the walk read whole, its bytes (the send needs not read it again). */
  contents: Array<Buffer | undefined>;
  /**
   * For each file hashed while it is sent (no `sha256` in its entry), its modification time in ms: with
   * its size, what says it is the same file when `file send` names it again (file-sender.ts manifest).
   */
  mtimes: Array<number | undefined>;
  /** What was left out, and why. */
  skipped: Array<{ path: string; why: string }>;
  files: number;
  bytes: number;
}

/**
 * SHA-256 of a file's bytes, hex. `size` (when known) sizes the read buffer: a 1 MiB buffer for each
 * 1 KiB file made hashing a folder of 10,000 small files spend a third of its time collecting garbage.
 */
export async function hashFile(path: string | Buffer, start = 0, size?: number): Promise<string> {
  const hash = createHash('sha256');
  const highWaterMark = Math.min(1024 * 1024, Math.max(1, (size ?? Infinity) - start + 1));
  for await (const chunk of createReadStream(path, { start, highWaterMark })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/** Whether `target`, read from a link at `linkPath` (relative, `/`-separated), stays inside its top folder. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (target.startsWith('/') || target.includes('\\') || /^[A-Za-z]:/.test(target)) return false;
  const at = linkPath.split('/').slice(0, -1);
  // The top folder is the path's first component: a link may not climb out of it.
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (at.length <= 1) return false;
      at.pop();
    } else at.push(c);
  }
  return true;
}

/**
 * Files up to this size are read whole and hashed by the walk, and their bytes kept for the send (read
 * once); bigger ones are hashed while they are sent (read once too, ADR 0067).
 */
export const KEEP_FILE_BYTES = 64 * 1024;
/** Most bytes of small files one walk keeps for the send (32 MiB); files past it are read again then. */
export const KEEP_TOTAL_BYTES = 32 * 1024 * 1024;
/** Files read and hashed, and entries of a folder examined, at once: the disk's latency overlaps. */
const WALK_CONCURRENCY = 16;

/** Runs at most `n` of the functions given at once, the others waiting in order. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      // The slot passes to the next one waiting, if any.
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  };
}

/** A small file's bytes, read whole (at most `size` + 1: one more means it grew since it was seen). */
async function readWhole(path: Buffer, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * Why `path` cannot be sent, in words: `no such file: PATH`, `permission denied: PATH`, else the
 * system's reason after `cannot read [what]PATH`.
 */
export function unreadable(path: string, err: unknown, what = ''): ClawError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ClawError('BAD_ARGUMENT', `no such file: ${path}`);
  if (code === 'EACCES' || code === 'EPERM') {
    return new ClawError('BAD_ARGUMENT', `permission denied: ${path}`);
  }
  return new ClawError('BAD_ARGUMENT', `cannot read ${what}${path}: ${errorMessage(err)}`);
}

/**
 * The entries for `paths` (see the module comment). Files are hashed several at once; small ones are
 * read whole and, up to KEEP_TOTAL_BYTES, kept in `contents` so the send does not read them again.
 * @throws ClawError('BAD_ARGUMENT') naming the path
 */
export async function walkTree(paths: readonly string[]): Promise<WalkedTree> {
  const out: WalkedTree = {
    entries: [],
    sources: [],
    contents: [],
    mtimes: [],
    skipped: [],
    files: 0,
    bytes: 0,
  };
  const tops = new Set<string>();
  const limit = limiter(WALK_CONCURRENCY);
  const hashing: Array<Promise<void>> = [];
  let kept = 0;
  const add = (entry: OfferEntry, source?: string) => {
    if (out.entries.length >= MAX_ENTRIES) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `a transfer holds at most ${MAX_ENTRIES} entries: send fewer at once`,
      );
    }
    out.entries.push(entry);
    out.sources.push(source);
    out.contents.push(undefined);
    out.mtimes.push(undefined);
    if (entry.kind === 'file') {
      out.files++;
      out.bytes += entry.size;
      if (out.bytes > MAX_TRANSFER_BYTES)
        throw new ClawError('BAD_ARGUMENT', 'a transfer holds at most 1 PiB');
    }
  };
  /**
   * Adds the file's entry now (its place in the order); a small one is read and hashed in the
   * background, a bigger one only noted (its SHA-256 is taken while it is sent).
   */
  const file = (abs: Buffer, rel: Buffer, mode: number, size: number, mtimeMs: number) => {
    const exec = (mode & 0o111) !== 0;
    const at = out.entries.length;
    const name = named(rel);
    const mtime = Math.trunc(mtimeMs);
    if (size > KEEP_FILE_BYTES) {
      add({ ...name, kind: 'file', size, exec, mtime }, savedSource(abs));
      out.mtimes[at] = mtimeMs;
      return;
    }
    const entry: OfferEntry = { ...name, kind: 'file', size, exec, sha256: '', mtime };
    add(entry, savedSource(abs));
    const hashed = limit(async () => {
      try {
        const bytes = await readWhole(abs, size);
        if (bytes.length <= size) {
          // A file that shrank since it was seen is sent as read, whole and consistent.
          out.bytes -= size - bytes.length;
          entry.size = bytes.length;
          entry.sha256 = createHash('sha256').update(bytes).digest('hex');
          if (kept + bytes.length <= KEEP_TOTAL_BYTES) {
            kept += bytes.length;
            out.contents[at] = bytes;
          }
          return;
        }
        // It grew past what was seen: hashed as it is now, and sent from the disk.
        entry.sha256 = await hashFile(abs, 0, size);
      } catch (err) {
        throw unreadable(abs.toString(), err);
      }
    });
    hashed.catch(() => undefined);
    hashing.push(hashed);
  };
  // Names are read as bytes (a name need not be UTF-8): each entry's path is its text, with its bytes
  // beside it when they are no UTF-8 (protocol/file-frames.ts `raw`).
  const named = (rel: Buffer) => {
    const n = nameOf(rel);
    return n.raw === undefined ? { path: n.text } : { path: n.text, raw: n.raw };
  };
  const folder = async (abs: Buffer, rel: Buffer, mtimeMs: number): Promise<void> => {
    add({ ...named(rel), kind: 'dir', mtime: Math.trunc(mtimeMs) });
    let names: Buffer[];
    try {
      names = (await readdir(abs, { encoding: 'buffer' })).sort((a, b) => Buffer.compare(a, b));
    } catch (err) {
      throw unreadable(abs.toString(), err, 'the folder ');
    }
    const stats = await Promise.all(
      names.map((name) =>
        limit(() =>
          lstat(joinBytes([abs, name])).catch((err: unknown) => {
            throw unreadable(joinBytes([abs, name]).toString(), err);
          }),
        ),
      ),
    );
    for (const [k, name] of names.entries()) {
      const childAbs = joinBytes([abs, name]);
      const childRel = joinBytes([rel, name]);
      const shown = childRel.toString();
      const st = stats[k]!;
      if (st.isSymbolicLink()) {
        const target = nameOf(await readlink(childAbs, { encoding: 'buffer' }));
        if (linkStaysInside(shown, target.text)) {
          add({
            ...named(childRel),
            kind: 'link',
            target: target.text,
            ...(target.raw === undefined ? {} : { rawTarget: target.raw }),
          });
        } else out.skipped.push({ path: shown, why: `a link to ${target.text}, outside the folder sent` });
      } else if (st.isDirectory()) await folder(childAbs, childRel, st.mtimeMs);
      else if (st.isFile()) file(childAbs, childRel, st.mode, st.size, st.mtimeMs);
      else out.skipped.push({ path: shown, why: 'not a file, folder or link' });
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    const name = basename(abs);
    if (name === '') throw new ClawError('BAD_ARGUMENT', `cannot send ${p}: name a folder or file inside it`);
    if (tops.has(name)) {
      throw new ClawError('BAD_ARGUMENT', `two of the paths are both named '${name}': send them separately`);
    }
    tops.add(name);
    let st;
    try {
      st = await stat(abs);
    } catch (err) {
      throw unreadable(p, err);
    }
    if (st.isDirectory()) await folder(Buffer.from(abs), Buffer.from(name), st.mtimeMs);
    else if (st.isFile()) file(Buffer.from(abs), Buffer.from(name), st.mode, st.size, st.mtimeMs);
    else throw new ClawError('BAD_ARGUMENT', `cannot send ${p}: not a file or folder`);
  }
  await Promise.all(hashing);
  return out;
}

/**
 * The tree hash of `entries` (see the module comment), hex; a file offered without its SHA-256 takes
 * it from `digests` (by entry index).
 * @throws Error when a file's SHA-256 is in neither
 */
export function treeHash(entries: readonly OfferEntry[], digests?: ReadonlyMap<number, string>): string {
  return createHash('sha256').update(treeHashInput(entries, digests)).digest('hex');
}
