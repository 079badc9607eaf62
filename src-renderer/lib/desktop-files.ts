/**
 * What only the desktop app can do with files, through the preload's bridge
 * (src-main/electron/preload.cts, desktop-ipc.ts): a native picker that gives paths on this machine,
 * the path of a file dropped on the window, the Downloads folder, and showing a folder in the file
 * manager. In a browser tab on the web UI there is none of this: a page cannot learn a local path, and
 * the agent may run on another machine, so the views ask for paths on the agent's machine instead.
 */
import { unwrap, type Envelope } from '../api/ipc-bridge.js';

/** The bridge's optional file members (an older preload has none). */
export interface FilesBridge {
  pickFiles(kind: 'files' | 'folder'): Promise<Envelope<string[] | null>>;
  pathForFile(file: File): string;
  downloadsDir(): Promise<Envelope<string>>;
  openFolder(path: string): Promise<Envelope<null>>;
}

export interface DesktopFiles {
  /** Paths chosen in the native dialog; empty when it was cancelled. */
  pick(kind: 'files' | 'folder'): Promise<string[]>;
  /** The path of a dropped file, or '' when it has none (a file from another application's memory). */
  pathOf(file: File): string;
  downloads(): Promise<string>;
  openFolder(path: string): Promise<void>;
}

export function desktopFiles(): DesktopFiles | null {
  const bridge = (window as { clawbridge?: Partial<FilesBridge> }).clawbridge;
  if (
    typeof bridge?.pickFiles !== 'function' ||
    typeof bridge.pathForFile !== 'function' ||
    typeof bridge.downloadsDir !== 'function' ||
    typeof bridge.openFolder !== 'function'
  )
    return null;
  const b = bridge as FilesBridge;
  return {
    pick: async (kind) => unwrap(await b.pickFiles(kind)) ?? [],
    pathOf: (file) => {
      try {
        return b.pathForFile(file);
      } catch {
        return '';
      }
    },
    downloads: async () => unwrap(await b.downloadsDir()),
    openFolder: async (path) => void unwrap(await b.openFolder(path)),
  };
}
