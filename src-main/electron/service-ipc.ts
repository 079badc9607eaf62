/**
 * What the window asks main about the home's service (Settings → "Keep running after Quit (install as
 * a service)", service-desktop.ts): its status, and switching it on or off. Checked like the other
 * channels beside the API transport (checked-ipc.ts): the app's own page, the exact number of
 * arguments, a boolean for the switch.
 */
import { API_IPC_CHANNELS } from './api-ipc-channels.js';
import { badArgument, checkedHandler, type InvokeIpcMain } from './checked-ipc.js';
import type { DesktopServiceStatus } from './service-desktop.js';

/** What the channels do, given by main (service-desktop.ts and the app's agent). */
export interface DesktopServiceControl {
  status(): DesktopServiceStatus;
  /** Installs (true) or uninstalls (false) the home's service; resolves to the status after. */
  set(on: boolean): Promise<DesktopServiceStatus>;
}

/** Registers the service channels for pages loaded from `trustedUrl`; returns what removes them. */
export function registerServiceIpc(
  ipcMain: InvokeIpcMain,
  trustedUrl: string,
  control: DesktopServiceControl,
  log: (line: string) => void = (line) => console.error(line),
): () => void {
  const handle = checkedHandler(ipcMain, trustedUrl, log);
  handle(API_IPC_CHANNELS.serviceStatus, 0, () => ({ ok: true, result: control.status() }));
  handle(API_IPC_CHANNELS.serviceSet, 1, async ([on]) => {
    if (typeof on !== 'boolean')
      return badArgument('the service switch takes true (install) or false (uninstall)');
    return { ok: true, result: await control.set(on) };
  });
  return () => {
    ipcMain.removeHandler(API_IPC_CHANNELS.serviceStatus);
    ipcMain.removeHandler(API_IPC_CHANNELS.serviceSet);
  };
}
