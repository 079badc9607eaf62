/**
 * What the window asks main for about files, beside the API transport (api-ipc.ts):
 * the native picker's paths (`pickFiles`, for "Send files…"), the Downloads folder (where received
 * files go unless the user says otherwise) and showing a folder in the file manager ("Open folder").
 * The agent sends paths on this machine, and a page cannot learn a file's path, so only main can give
 * them. Every message is checked like the API's: the top frame of the app's own page
 * (ipc-validate.ts), its exact arguments; a folder to open must be an absolute path to a directory
 * (shell.openPath on a file would run it). Plain functions of their electron parts, so unit tests
 * drive them with fakes.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { API_IPC_CHANNELS } from './api-ipc-channels.js';
import { badArgument, checkedHandler, type InvokeIpcMain } from './checked-ipc.js';

export type PickKind = 'files' | 'folder';

/** What main does for the window; main.ts builds it from electron's dialog, app and shell. */
export interface FilesDesktop {
  /** The native open dialog: the chosen paths, or null when cancelled. */
  pick(kind: PickKind): Promise<string[] | null>;
  /** `app.getPath('downloads')`. */
  downloadsDir(): string;
  /** `shell.openPath`: '' when it opened, else why not. */
  openPath(path: string): Promise<string>;
}

/** The part of Electron's ipcMain these channels use. */
export type FilesIpcMain = InvokeIpcMain;

const bad = badArgument;

/** The open dialog's options for a kind: several files, or several folders (one dialog cannot do both on Linux and Windows). */
export function pickOptions(kind: PickKind): {
  properties: Array<'openFile' | 'openDirectory' | 'multiSelections'>;
} {
  return { properties: [kind === 'folder' ? 'openDirectory' : 'openFile', 'multiSelections'] };
}

/** Whether `path` may be shown in the file manager: absolute, at most 4096 characters, a directory. */
export async function folderProblem(path: unknown): Promise<string | null> {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\0'))
    return 'a folder is an absolute path of at most 4096 characters';
  if (!isAbsolute(path)) return `'${path}' is not an absolute path`;
  try {
    if (!(await stat(path)).isDirectory()) return `'${path}' is not a folder`;
  } catch (err) {
    return `'${path}' cannot be opened: ${errorMessage(err)}`;
  }
  return null;
}

/** Registers the three channels for pages loaded from `trustedUrl`; returns what removes them. */
export function registerFilesIpc(
  ipcMain: FilesIpcMain,
  trustedUrl: string,
  desktop: FilesDesktop,
  log: (line: string) => void = (line) => console.error(line),
): () => void {
  const handle = checkedHandler(ipcMain, trustedUrl, log);

  handle(API_IPC_CHANNELS.pickFiles, 1, async ([kind]) => {
    if (kind !== 'files' && kind !== 'folder') return bad("pick what: 'files' or 'folder'");
    return { ok: true, result: await desktop.pick(kind) };
  });
  handle(API_IPC_CHANNELS.downloadsDir, 0, () => ({ ok: true, result: desktop.downloadsDir() }));
  handle(API_IPC_CHANNELS.openFolder, 1, async ([path]) => {
    const problem = await folderProblem(path);
    if (problem) return bad(problem);
    const error = await desktop.openPath(path as string);
    return error
      ? { ok: false, error: { code: 'SERVICE_FAILED', message: error } }
      : { ok: true, result: null };
  });

  return () => {
    for (const channel of [
      API_IPC_CHANNELS.pickFiles,
      API_IPC_CHANNELS.downloadsDir,
      API_IPC_CHANNELS.openFolder,
    ])
      ipcMain.removeHandler(channel);
  };
}

/** What "Send files…" in the tray's peer submenu needs (shell.ts gives the agent and window parts). */
export interface TraySendDeps {
  pick(kind: PickKind): Promise<string[] | null>;
  send(peer: string, paths: string[]): Promise<unknown>;
  /** Shows the window on the Files view. */
  showFiles(): void;
  /** Says why the files could not be sent (a native error box). */
  showError(message: string): void;
}

/**
 * The tray's "Send files…": the native picker, then `files.send` to the peer, then the Files view
 * showing the transfer. Cancelling the picker does nothing; a refusal is shown, naming the peer.
 * Resolves to what happened, for tests and the log.
 */
export async function sendFilesFromTray(
  deps: TraySendDeps,
  peer: { fingerprint: string; name: string },
): Promise<'cancelled' | 'sent' | 'failed'> {
  let paths: string[] | null;
  try {
    paths = await deps.pick('files');
  } catch (err) {
    deps.showError(`Could not open the file picker: ${errorMessage(err)}`);
    return 'failed';
  }
  if (!paths || paths.length === 0) return 'cancelled';
  try {
    await deps.send(peer.fingerprint, paths);
  } catch (err) {
    deps.showError(`Could not send files to ${peer.name}: ${errorMessage(err)}`);
    return 'failed';
  }
  deps.showFiles();
  return 'sent';
}
