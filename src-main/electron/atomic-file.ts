/**
 * Writes a small file so that a reader sees the old content or the new, never half of it: write a
 * temporary file next to it, then rename over (a rename within one directory is atomic on every
 * platform the app runs on). The app's own state files (window bounds, the autostart entry) use it.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  // A leftover temp file from a crash would keep its old mode: start from a new one.
  await rm(tmp, { force: true });
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
