/**
 * The tray icon map (src-main/electron/tray-icons.ts) against the files scripts/make-icons.mjs draws:
 * every state has a file on every platform, and every file named is a PNG of the size nativeImage
 * expects (16 px, 32 px for `@2x`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  allTrayIconFiles,
  retinaVariant,
  TRAY_ICON_STATES,
  trayIconFile,
  type TrayIconState,
} from '../../src-main/electron/tray-icons.js';

const assets = new URL('../../assets/', import.meta.url);

/** Width and height from a PNG's IHDR chunk; throws when the bytes are not a PNG. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(new URL(file, assets));
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${file} is not a PNG`);
  assert.equal(bytes.toString('ascii', 12, 16), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test('macOS gets a Template image per state; Windows and Linux get colour images', () => {
  assert.deepEqual(
    TRAY_ICON_STATES.map((s) => trayIconFile(s, 'darwin')),
    ['trayTemplate.png', 'trayAttentionTemplate.png', 'trayOfflineTemplate.png'],
  );
  for (const platform of ['win32', 'linux'] as const) {
    assert.deepEqual(
      TRAY_ICON_STATES.map((s) => trayIconFile(s, platform)),
      ['tray.png', 'trayAttention.png', 'trayOffline.png'],
    );
  }
});

test('each state has its own file, so the icon changes when the state does', () => {
  for (const platform of ['darwin', 'win32', 'linux'] as const) {
    const files = new Set(TRAY_ICON_STATES.map((s) => trayIconFile(s, platform)));
    assert.equal(files.size, TRAY_ICON_STATES.length, platform);
  }
});

test('an unknown state is refused with its name', () => {
  assert.throws(() => trayIconFile('busy' as TrayIconState, 'linux'), /unknown tray icon state: busy/);
  assert.throws(
    () => trayIconFile('toString' as TrayIconState, 'darwin'),
    /unknown tray icon state: toString/,
  );
});

test('every named tray file exists in assets/ at 16 px, its @2x sibling at 32 px', () => {
  const files = allTrayIconFiles();
  assert.equal(files.length, 12);
  for (const file of files) {
    const side = file.includes('@2x') ? 32 : 16;
    assert.deepEqual(pngSize(file), { width: side, height: side }, file);
  }
  assert.equal(retinaVariant('trayOffline.png'), 'trayOffline@2x.png');
});

test('the app icon is one 512 px PNG, from which electron-builder makes every platform icon', () => {
  assert.deepEqual(pngSize('icon.png'), { width: 512, height: 512 });
});
