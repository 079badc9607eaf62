#!/usr/bin/env node
/**
 * A stand-in for Electron's Linux distribution, so electron-builder can pack the app where Electron
 * cannot be downloaded (CI reaches only the npm registry; docs/adr/0001-electron-binary-on-demand.md):
 *
 *   node scripts/stand-in-electron.mjs /tmp/electron-stand-in
 *   npm run dist -- --linux dir -c.electronDist=/tmp/electron-stand-in
 *
 * electron-builder copies an unpacked `electronDist` folder as the app folder, renames its `electron`
 * binary to the executable name and moves `LICENSE` to `LICENSE.electron.txt`
 * (app-builder-lib/out/electron/ElectronFramework.js), so that is all the stand-in holds, plus an
 * empty `resources/` for the app to be written into. Its binary is a shell script that refuses to run,
 * followed by a fuse wire in Electron's format (@electron/fuses: sentinel, version 1, length, one byte
 * per fuse, '0' off and '1' on, Electron's defaults), so the packing flips the fuses electron-builder.yml
 * sets exactly as on the real binary, and a check can read them back.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** @electron/fuses' marker before the fuse wire. */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/**
 * Electron's default wire, in FuseV1Options order: RunAsNode on, cookie encryption off, NODE_OPTIONS
 * on, --inspect on, asar integrity off, only-load-from-asar off, browser V8 snapshot off, file://
 * extra privileges on.
 */
export const DEFAULT_FUSE_WIRE = '10110001';

const PLACEHOLDER_SCRIPT =
  '#!/bin/sh\necho "stand-in Electron for the packaging check; not runnable" >&2\nexit 1\n';

/** The stand-in binary's bytes: the script, then `# `, the sentinel and the wire. */
export function standInBinary(wire = DEFAULT_FUSE_WIRE) {
  return Buffer.concat([
    Buffer.from(`${PLACEHOLDER_SCRIPT}# ${FUSE_SENTINEL}`),
    Buffer.from([1, wire.length]),
    Buffer.from(wire),
    Buffer.from('\n'),
  ]);
}

/** The fuse wire in a (stand-in or real) Electron binary, as '0'/'1'/'r' characters, or undefined. */
export function readFuseWire(binary) {
  const at = binary.indexOf(FUSE_SENTINEL);
  if (at < 0) return undefined;
  const start = at + FUSE_SENTINEL.length;
  return binary.subarray(start + 2, start + 2 + binary[start + 1]).toString('latin1');
}

/** Writes the stand-in distribution into `dir` (created if needed) and returns `dir`. */
export function writeStandInElectron(dir) {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  const binary = join(dir, 'electron');
  writeFileSync(binary, standInBinary());
  chmodSync(binary, 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'Stand-in for the Electron licence file.\n');
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2];
  if (!dir) {
    console.error(
      'usage: node scripts/stand-in-electron.mjs DIR   (then: npm run dist -- --linux dir -c.electronDist=DIR)',
    );
    process.exit(2);
  }
  const out = writeStandInElectron(resolve(dir));
  console.log(`stand-in Electron in ${out}; now: npm run dist -- --linux dir -c.electronDist=${out}`);
}
