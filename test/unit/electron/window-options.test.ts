import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainWindowOptions, PRELOAD_FILE } from '../../../src-main/electron/window-options.js';

test('the window runs a sandboxed, isolated renderer with no Node and the given preload', () => {
  const prefs = mainWindowOptions('/app/dist/src-main/electron/preload.cjs').webPreferences;
  assert.deepEqual(
    {
      preload: prefs?.preload,
      contextIsolation: prefs?.contextIsolation,
      sandbox: prefs?.sandbox,
      nodeIntegration: prefs?.nodeIntegration,
      nodeIntegrationInWorker: prefs?.nodeIntegrationInWorker,
      nodeIntegrationInSubFrames: prefs?.nodeIntegrationInSubFrames,
      webSecurity: prefs?.webSecurity,
      allowRunningInsecureContent: prefs?.allowRunningInsecureContent,
      webviewTag: prefs?.webviewTag,
    },
    {
      preload: '/app/dist/src-main/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  );
});

test('the window starts hidden (shown when ready) and the preload is CommonJS', () => {
  assert.equal(mainWindowOptions('/p').show, false);
  assert.deepEqual([mainWindowOptions('/p').minWidth, mainWindowOptions('/p').minHeight], [480, 360]);
  assert.match(PRELOAD_FILE, /\.cjs$/);
});
