/**
 * The preload: the only code with a foot in both worlds. It exposes `window.clawbridge` (DesktopApi) and
 * never `ipcRenderer` itself, so page script can reach exactly these two channels.
 * CommonJS because sandboxed preloads cannot be ES modules, and self-contained because a sandboxed
 * preload can `require` only 'electron' and a few built-ins: the channel names are repeated here and
 * a unit test checks them against bridge-api.ts.
 */
// `import x = require()` is how a .cts under verbatimModuleSyntax says require(); ESM syntax is refused.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import electron = require('electron');
import type { DesktopApi } from './bridge-api.js';

const { contextBridge, ipcRenderer } = electron;

const STATUS_CHANNEL = 'clawbridge:status';
const CHANGED_CHANNEL = 'clawbridge:changed';

const api: DesktopApi = {
  status: () => ipcRenderer.invoke(STATUS_CHANNEL) as ReturnType<DesktopApi['status']>,
  onChange(listener) {
    // The IPC event object is dropped: it carries `sender`, which must not reach page script.
    const wrapped = (): void => listener();
    ipcRenderer.on(CHANGED_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(CHANGED_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('clawbridge', api);
