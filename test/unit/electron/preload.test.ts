import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { IPC_CHANNELS, type DesktopApi } from '../../../src-main/electron/bridge-api.js';

/** Loads the real preload with a fake `electron` in the require cache, as the sandbox would run it. */
async function loadPreload() {
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const ipcRenderer = Object.assign(new EventEmitter(), {
    invoke: (...args: unknown[]) => {
      invoked.push(args);
      return Promise.resolve({ name: 'desk' });
    },
  });
  const fake = {
    contextBridge: { exposeInMainWorld: (k: string, v: unknown) => exposed.set(k, v) },
    ipcRenderer,
  };
  const require = createRequire(import.meta.url);
  // The real package would try to download the Electron binary; the preload only needs these two objects.
  const id = require.resolve('electron');
  require.cache[id] = { id, filename: id, loaded: true, exports: fake } as NodeJS.Module;
  try {
    await import('../../../src-main/electron/preload.cjs');
  } finally {
    delete require.cache[id];
  }
  return { exposed, invoked, ipcRenderer };
}

test('the preload exposes only window.clawbridge, with status and onChange, never ipcRenderer', async () => {
  const { exposed, invoked, ipcRenderer } = await loadPreload();
  assert.deepEqual([...exposed.keys()], ['clawbridge']);
  const api = exposed.get('clawbridge') as DesktopApi;
  assert.deepEqual(Object.keys(api).sort(), ['onChange', 'status']);
  assert.ok(!Object.values(api).includes(ipcRenderer));

  assert.deepEqual(await api.status(), { name: 'desk' });
  assert.deepEqual(invoked, [[IPC_CHANNELS.status]]);

  const received: unknown[][] = [];
  const dispose = api.onChange((...args: unknown[]) => void received.push(args));
  // Main sends on the channel in bridge-api.ts; the renderer must not see the IPC event (it holds `sender`).
  ipcRenderer.emit(IPC_CHANNELS.changed, { sender: 'secret' });
  dispose();
  ipcRenderer.emit(IPC_CHANNELS.changed, { sender: 'secret' });
  assert.deepEqual(received, [[]]);
  assert.equal(ipcRenderer.listenerCount(IPC_CHANNELS.changed), 0);
});
