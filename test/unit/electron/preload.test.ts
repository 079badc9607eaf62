/**
 * The preload repeats the IPC channel names (a sandboxed preload can require only 'electron'): both
 * copies must agree, and what it exposes must be the bridge the renderer expects. Its behaviour runs
 * in test/unit/electron/ipc-api.test.ts, evaluated as a sandboxed preload (test/helpers/fake-electron-ipc.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClawbridgeBridge } from '../../../src-renderer/api/ipc-bridge.js';
import { API_IPC_CHANNELS, type WindowBridge } from '../../../src-main/electron/api-ipc-channels.js';

const source = readFileSync(new URL('../../../src-main/electron/preload.cts', import.meta.url), 'utf8');

test('the preload names every channel of api-ipc-channels.ts, and no other', () => {
  const named = [...source.matchAll(/'(clawbridge:[\w-]+)'/g)].map((m) => m[1]).sort();
  // 'clawbridge:stream' is also the page message type (ipc-transport.ts), hence twice.
  assert.deepEqual([...new Set(named)], Object.values(API_IPC_CHANNELS).sort());
});

test("the preload requires only 'electron' and exposes no ipcRenderer", () => {
  assert.deepEqual(
    [...source.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]),
    ['electron'],
  );
  assert.doesNotMatch(source, /exposeInMainWorld\([^)]*ipcRenderer/);
});

test("main's WindowBridge is the renderer's ClawbridgeBridge (checked by the compiler)", () => {
  // Both directions: the preload's object is what the page takes, and nothing more.
  const fromMain = (b: WindowBridge): ClawbridgeBridge => b;
  const fromPage = (b: ClawbridgeBridge): WindowBridge => b;
  assert.equal(typeof fromMain, 'function');
  assert.equal(typeof fromPage, 'function');
});
