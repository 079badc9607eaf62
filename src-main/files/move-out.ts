/**
 * `file get`: received files leave the inbox for a folder the user names. Each inbox entry's
 * top-level names move (a rename on the same disk, a copy that keeps links as links and then a delete
 * across disks); a name that exists already is renamed `name (1).ext` (the default), overwritten, or
 * skipped and left in the inbox. An entry leaves the inbox once all its names moved.
 *
 * Names are handled as bytes (a received name need not be UTF-8). The links moved are made canonical
 * and each is checked against what the folder holds (link-safety.ts): one that would lead out of the
 * folder is removed and named in the answer. Nothing here writes through a link: an existing name is
 * found with lstat, replaced by a rename (which replaces the link, not what it points to) or removed.
 */
import { constants } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { ConflictMode, FileMethodResults } from './files-contract.js';
import { numberedBytes } from './file-names.js';
import { canonicalTarget, joinBytes, staysInside } from './link-safety.js';
import type { FileStore, ReceivedMeta } from './file-store.js';

/** Most `name (n)` tried before a name counts as taken for good. */
const MAX_NUMBERED = 10_000;

const exists = async (p: Buffer) => (await lstat(p).catch(() => undefined)) !== undefined;

/** Moves `from` to `to`: a rename, or across disks a copy (links kept as links) and a delete. */
async function move(from: Buffer, to: Buffer): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    // fs.cp takes string paths only: the names are bytes, so the copy is walked here.
    await copyTree(from, to);
    await rm(from, { recursive: true, force: true });
  }
}

/** Copies `from` to `to` (which must not exist), links as links, modes and times kept. */
async function copyTree(from: Buffer, to: Buffer): Promise<void> {
  const st = await lstat(from);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(from, { encoding: 'buffer' }), to);
    return;
  }
  if (!st.isDirectory()) {
    await copyFile(from, to, constants.COPYFILE_EXCL);
    await chmod(to, st.mode & 0o7777);
    await utimes(to, st.atime, st.mtime);
    return;
  }
  await mkdir(to, { mode: st.mode & 0o7777 });
  for (const name of await readdir(from, { encoding: 'buffer' })) {
    await copyTree(joinBytes([from, name]), joinBytes([to, name]));
  }
  await utimes(to, st.atime, st.mtime);
}

/**
 * The links under `top` (moved to `root/top`), each made canonical and checked against what `root`
 * holds now; the ones that would lead out of `root` are removed. Their paths under `root`, with why.
 */
async function checkLinks(root: Buffer, top: Buffer): Promise<Array<{ path: string; why: string }>> {
  const refused: Array<{ path: string; why: string }> = [];
  const walk = async (at: Buffer[], name: Buffer): Promise<void> => {
    const path = joinBytes([root, ...at, name]);
    const st = await lstat(path);
    if (st.isDirectory()) {
      for (const child of await readdir(path, { encoding: 'buffer' })) await walk([...at, name], child);
      return;
    }
    if (!st.isSymbolicLink()) return;
    const shown = joinBytes([...at, name]).toString();
    const target = await readlink(path, { encoding: 'buffer' });
    // at.length is the link's depth below `root`: that many `..` reach `root` and no further.
    const canonical = canonicalTarget(at.length, target);
    if (!canonical) {
      await unlink(path);
      refused.push({ path: shown, why: `a link to ${target.toString()}, which leads out of the folder` });
      return;
    }
    if (!canonical.equals(target)) {
      await unlink(path);
      await symlink(canonical, path);
    }
    if (!(await staysInside(root, at, name))) {
      await unlink(path);
      refused.push({
        path: shown,
        why: `a link to ${canonical.toString()}, which leads out of the folder through what is there already`,
      });
    }
  };
  await walk([], top);
  return refused;
}

export async function moveOut(
  store: FileStore,
  entries: readonly ReceivedMeta[],
  dir: string,
  conflict: ConflictMode,
): Promise<FileMethodResults['files.get']> {
  await mkdir(dir, { recursive: true });
  const root = Buffer.from(await realpath(dir));
  const result: FileMethodResults['files.get'] = { moved: [], skipped: [], notKept: [] };
  for (const meta of entries) {
    const tree = Buffer.from(store.treeOf(meta.id));
    let left = 0;
    // The tree's own listing, not meta.top: its names are bytes, and an earlier `get` that skipped
    // some moved the others already.
    const names = await readdir(tree, { encoding: 'buffer' }).catch(() => [] as Buffer[]);
    for (const name of names) {
      const from = joinBytes([tree, name]);
      let to = name;
      const shown = name.toString();
      if (await exists(joinBytes([root, to]))) {
        if (conflict === 'skip') {
          result.skipped.push({ id: meta.id, name: shown, why: `${dir}/${shown} exists` });
          left++;
          continue;
        }
        if (conflict === 'overwrite') await rm(joinBytes([root, to]), { recursive: true, force: true });
        else {
          let n = 1;
          while (n <= MAX_NUMBERED && (await exists(joinBytes([root, numberedBytes(name, n)])))) n++;
          to = numberedBytes(name, n);
        }
      }
      await move(from, joinBytes([root, to]));
      result.moved.push({ id: meta.id, name: shown, to: join(dir, to.toString()) });
      for (const r of await checkLinks(root, to)) result.notKept.push({ id: meta.id, ...r });
    }
    for (const k of meta.skipped ?? []) result.notKept.push({ id: meta.id, ...k });
    if (left === 0) await store.remove(meta.id);
  }
  return result;
}
