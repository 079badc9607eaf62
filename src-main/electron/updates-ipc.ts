/**
 * What the window asks main about updates (Settings → Updates and the "restart to update" notice),
 * beside the API transport: the updater lives in main, not in the agent, and its choice is the app's
 * preference, not an agent setting (docs/adr/0077-desktop-updates.md). Checked like every other
 * channel: the top frame of the app's own page (ipc-validate.ts), the exact number of arguments, and
 * the choice against its schema; main pushes each change as `app.update` over the page's subscription.
 */
import { describeZodError } from '../core/zod-error.js';
import { API_IPC_CHANNELS } from './api-ipc-channels.js';
import { badArgument, checkedHandler, type InvokeIpcMain } from './checked-ipc.js';
import type { UpdateController } from './update-controller.js';
import { updateChoice } from './update-policy.js';

/** The part of Electron's ipcMain these channels use. */
export type UpdatesIpcMain = InvokeIpcMain;

const CHANNELS = [
  API_IPC_CHANNELS.updateStatus,
  API_IPC_CHANNELS.updateChoose,
  API_IPC_CHANNELS.updateCheck,
  API_IPC_CHANNELS.updateDownload,
  API_IPC_CHANNELS.updateRestart,
] as const;

const bad = badArgument;

/** Registers the update channels for pages loaded from `trustedUrl`; returns what removes them. */
export function registerUpdatesIpc(
  ipcMain: UpdatesIpcMain,
  trustedUrl: string,
  updates: UpdateController,
  log: (line: string) => void = (line) => console.error(line),
): () => void {
  const handle = checkedHandler(ipcMain, trustedUrl, log);

  handle(API_IPC_CHANNELS.updateStatus, 0, () => ({ ok: true, result: updates.status() }));
  handle(API_IPC_CHANNELS.updateChoose, 1, ([choice]) => {
    const parsed = updateChoice.safeParse(choice);
    if (!parsed.success) return bad(`invalid update choice: ${describeZodError(parsed.error)}`);
    return { ok: true, result: updates.setChoice(parsed.data) };
  });
  handle(API_IPC_CHANNELS.updateCheck, 0, async () => ({ ok: true, result: await updates.checkNow() }));
  handle(API_IPC_CHANNELS.updateDownload, 0, async () => ({ ok: true, result: await updates.download() }));
  handle(API_IPC_CHANNELS.updateRestart, 1, async ([confirmed]) => {
    if (typeof confirmed !== 'boolean') return bad('restart takes true (the user confirmed) or false');
    return { ok: true, result: await updates.restart(confirmed) };
  });

  return () => {
    for (const channel of CHANNELS) ipcMain.removeHandler(channel);
  };
}
