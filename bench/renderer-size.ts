/**
 * Row `renderer-js`: how much JavaScript the window costs to load — every `.js` file of the built
 * renderer (dist/renderer/assets/, built by `npm run build`, as `npm run bench` does first), summed
 * before compression and gzipped one file at a time (each is served on its own), at gzip's level 9.
 * The sum is pure (`sizeOfFiles`) and unit-tested; reading the folder is `measureRendererJs`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './child.js';
import type { SizeResult } from './table.js';

/** The built renderer's scripts. */
export const RENDERER_ASSETS = join(REPO_ROOT, 'dist', 'renderer', 'assets');

/** Sums the sizes of `files`, raw and each gzipped at level 9. */
export function sizeOfFiles(name: string, files: readonly Uint8Array[]): SizeResult {
  let bytes = 0;
  let gzipBytes = 0;
  for (const f of files) {
    bytes += f.byteLength;
    gzipBytes += gzipSync(f, { level: 9 }).byteLength;
  }
  return { name, bytes, gzipBytes, files: files.length };
}

/** Reads every `*.js` of the built renderer; throws when there is none (renderer not built). */
export function measureRendererJs(dir: string = RENDERER_ASSETS): SizeResult {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.js') && statSync(join(dir, n)).isFile());
  } catch (err) {
    throw new Error(`cannot read ${dir} (is the renderer built? npm run build): ${(err as Error).message}`);
  }
  if (names.length === 0) throw new Error(`no .js in ${dir}: the renderer is not built (npm run build)`);
  return sizeOfFiles(
    'renderer-js',
    names.sort().map((n) => readFileSync(join(dir, n))),
  );
}
