/**
 * What a packed app's resources/ folder holds: every file in app.asar (listed with @electron/asar, as
 * Electron reads it) and on disk beside it, with sizes, so a test can say what shipped and how much.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import asar from '@electron/asar';

/** The files of one packed app. Paths use `/` and no leading slash. */
export interface ResourcesInventory {
  /** Files inside app.asar, including the entries whose bytes live in app.asar.unpacked. */
  asarFiles: string[];
  /** Files on disk under resources/ (app.asar itself, app.asar.unpacked/…). */
  diskFiles: string[];
  /** Bytes on disk under resources/: what the installer carries besides Electron. */
  totalBytes: number;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** Lists `resources` (a packed app's resources/ folder). */
export function inventory(resources: string): ResourcesInventory {
  const archive = join(resources, 'app.asar');
  const asarFiles = asar
    .listPackage(archive, { isPack: false })
    .map((p) => p.replaceAll('\\', '/').replace(/^\//, ''))
    .filter((p) => {
      const stat = asar.statFile(archive, p, false);
      return !('files' in stat);
    });
  const onDisk = walk(resources);
  return {
    asarFiles,
    diskFiles: onDisk.map((f) => relative(resources, f).replaceAll('\\', '/')),
    totalBytes: onDisk.reduce((sum, f) => sum + statSync(f).size, 0),
  };
}
