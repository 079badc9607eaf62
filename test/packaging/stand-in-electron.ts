/**
 * A stand-in for Electron's Linux distribution, so electron-builder can pack the app here without
 * downloading Electron (CI reaches only the npm registry; docs/adr/0001-electron-binary-on-demand.md).
 * electron-builder copies an unpacked `electronDist` folder as the app folder, renames its `electron`
 * binary to the executable name and moves `LICENSE` to `LICENSE.electron.txt`
 * (app-builder-lib/out/electron/ElectronFramework.js), so that is all the stand-in holds, plus an
 * empty `resources/` for the app to be written into.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stand-in's binary: prints a line and exits non-zero, so nothing mistakes it for Electron. */
const PLACEHOLDER_BINARY =
  '#!/bin/sh\necho "stand-in Electron for the packaging check; not runnable" >&2\nexit 1\n';

/** Writes the stand-in distribution into `dir` (which must exist) and returns `dir`. */
export function writeStandInElectron(dir: string): string {
  const binary = join(dir, 'electron');
  writeFileSync(binary, PLACEHOLDER_BINARY);
  chmodSync(binary, 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in for the Electron licence file.\n');
  mkdirSync(join(dir, 'resources'));
  return dir;
}
