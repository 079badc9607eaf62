import type { DesktopApi } from '../src-main/electron/bridge-api.js';

declare global {
  interface Window {
    /** Exposed by the preload; missing when the page is opened outside Electron. */
    readonly clawbridge?: DesktopApi;
  }
}
