/**
 * A received transfer written under the names file-names.ts gave it (bytes), into the inbox's tree:
 * folders first, then files (moved from staging) and links, several at once; then the modification
 * times the sender's entries carry, folders last and deepest first (writing into a folder changes its
 * time), as `tar` and `rsync -a` keep them. A name this disk cannot hold (too long, no UTF-8 on a disk
 * that wants it, one Windows refuses) skips that entry, and what lies under it, with a line naming it:
 * the rest arrives.
 */
import { chmod, mkdir, rename, symlink, utimes } from 'node:fs/promises';
import { targetBytes, type OfferEntry } from '../protocol/file-frames.js';
import { joinBytes } from './link-safety.js';
import { limiter } from './tree-walk.js';

/** Entries written at once. */
const WRITE_CONCURRENCY = 16;
/** What a file system answers for a name it cannot hold. */
const NAME_ERRORS = new Set(['ENAMETOOLONG', 'EILSEQ', 'EINVAL']);

export interface WrittenTree {
  /** Entries not written, by their path as written here (shown as text), with why. */
  skipped: Array<{ path: string; why: string }>;
}

const parentOf = (p: Buffer) => p.subarray(0, Math.max(0, p.lastIndexOf(0x2f)));

/**
 * Writes `entries` at `local` (each entry's path under `tree`); a file's bytes are at `fileOf(i)`.
 * @throws what the disk throws, but for a name it cannot hold
 */
export async function writeTree(
  tree: string,
  entries: readonly OfferEntry[],
  local: readonly Buffer[],
  fileOf: (i: number) => string,
): Promise<WrittenTree> {
  const root = Buffer.from(tree);
  const at = (i: number) => joinBytes([root, local[i]!]);
  const skipped: WrittenTree['skipped'] = [];
  // Folders not written (latin1 keys of their local paths): what lies under one is skipped too.
  const gone = new Set<string>();
  const under = (i: number): string | undefined => {
    const key = local[i]!.toString('latin1');
    for (let cut = key.indexOf('/'); cut >= 0; cut = key.indexOf('/', cut + 1)) {
      if (gone.has(key.slice(0, cut))) return Buffer.from(key.slice(0, cut), 'latin1').toString();
    }
    return undefined;
  };
  const skip = (i: number, err: unknown): void => {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!NAME_ERRORS.has(code)) throw err;
    if (entries[i]!.kind === 'dir') gone.add(local[i]!.toString('latin1'));
    skipped.push({ path: local[i]!.toString(), why: `this disk cannot hold the name (${code})` });
  };
  for (const [i, e] of entries.entries()) {
    if (e.kind !== 'dir') continue;
    const parent = under(i);
    if (parent !== undefined) {
      gone.add(local[i]!.toString('latin1'));
      continue;
    }
    await mkdir(at(i), { recursive: true }).catch((err: unknown) => skip(i, err));
  }
  const made = new Set<string>([root.toString('latin1')]);
  const limit = limiter(WRITE_CONCURRENCY);
  await Promise.all(
    entries.map((e, i) =>
      e.kind === 'dir'
        ? Promise.resolve()
        : limit(async () => {
            const parent = under(i);
            if (parent !== undefined) {
              skipped.push({ path: local[i]!.toString(), why: `its folder ${parent} was not kept` });
              return;
            }
            const to = at(i);
            const dir = parentOf(to);
            if (!made.has(dir.toString('latin1'))) {
              await mkdir(dir, { recursive: true });
              made.add(dir.toString('latin1'));
            }
            try {
              if (e.kind === 'file') {
                await rename(fileOf(i), to);
                await chmod(to, e.exec ? 0o755 : 0o644);
                if (e.mtime !== undefined) await utimes(to, e.mtime / 1000, e.mtime / 1000);
              } else await symlink(targetBytes(e), to);
            } catch (err) {
              skip(i, err);
            }
          }),
    ),
  );
  const folders = entries
    .map((e, i) => ({ e, i }))
    .filter(
      ({ e, i }) => e.kind === 'dir' && e.mtime !== undefined && !gone.has(local[i]!.toString('latin1')),
    )
    .sort((a, b) => local[b.i]!.length - local[a.i]!.length);
  for (const { e, i } of folders) {
    const t = (e as Extract<OfferEntry, { kind: 'dir' }>).mtime! / 1000;
    await utimes(at(i), t, t);
  }
  return { skipped };
}
