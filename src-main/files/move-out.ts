/**
 * `file get`: received files leave the inbox for a folder the user names. Each inbox entry's
 * top-level names move (a rename on the same disk, a copy that keeps links as links and then a delete
 * across disks); a name that exists already is renamed `name (1).ext` (the default), overwritten, or
 * skipped and left in the inbox. An entry leaves the inbox once all its names moved.
 */
import { cp, lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConflictMode, FileMethodResults } from '../api/contract-files.js';
import { numberedName } from './file-names.js';
import type { FileStore, ReceivedMeta } from './file-store.js';

/** Most `name (n)` tried before a name counts as taken for good. */
const MAX_NUMBERED = 10_000;

const exists = async (p: string) => (await lstat(p).catch(() => undefined)) !== undefined;

/** Moves `from` to `to`: a rename, or across disks a copy (links kept as links) and a delete. */
async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, to, {
      recursive: true,
      verbatimSymlinks: true,
      errorOnExist: true,
      force: false,
      preserveTimestamps: true,
    });
    await rm(from, { recursive: true, force: true });
  }
}

export async function moveOut(
  store: FileStore,
  entries: readonly ReceivedMeta[],
  dir: string,
  conflict: ConflictMode,
): Promise<FileMethodResults['files.get']> {
  await mkdir(dir, { recursive: true });
  const result: FileMethodResults['files.get'] = { moved: [], skipped: [] };
  for (const meta of entries) {
    const tree = store.treeOf(meta.id);
    let left = 0;
    for (const name of meta.top) {
      const from = join(tree, name);
      if (!(await exists(from))) continue; // moved by an earlier `get` that skipped others
      let to = join(dir, name);
      if (await exists(to)) {
        if (conflict === 'skip') {
          result.skipped.push({ id: meta.id, name, why: `${to} exists` });
          left++;
          continue;
        }
        if (conflict === 'overwrite') await rm(to, { recursive: true, force: true });
        else {
          let n = 1;
          while (n <= MAX_NUMBERED && (await exists(join(dir, numberedName(name, n))))) n++;
          to = join(dir, numberedName(name, n));
        }
      }
      await move(from, to);
      result.moved.push({ id: meta.id, name, to });
    }
    if (left === 0) await store.remove(meta.id);
  }
  return result;
}
