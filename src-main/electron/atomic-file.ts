/**
 * Writes a small file so that a reader sees the old content or the new, never half of it, and a full
 * disk fails the write instead of leaving half a file: the agent's settings save (durable-file.ts),
 * with the folder made first. The app's own state files (window bounds, the autostart entry) use it.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { replaceFileSync } from '../home/durable-file.js';

export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  replaceFileSync(path, data, mode);
}
