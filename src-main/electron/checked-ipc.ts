/**
 * The invoke channels main answers beside the API transport (files-ipc.ts, updates-ipc.ts): each call is
 * checked the same way before its handler runs — the sender must be the app's own page (ipc-validate.ts),
 * the argument count must be the channel's — and every outcome is an envelope, never a thrown error.
 */
import { errorMessage } from '../core/errors.js';
import type { IpcInvokeEvent } from './api-ipc.js';
import { checkSender } from './ipc-validate.js';

export type Envelope =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: 'IPC_REJECTED' | 'BAD_ARGUMENT' | 'SERVICE_FAILED'; message: string } };

/** The part of Electron's ipcMain these channels use. */
export interface InvokeIpcMain {
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export const badArgument = (message: string): Envelope => ({
  ok: false,
  error: { code: 'BAD_ARGUMENT', message },
});

/** A `handle(channel, arity, handler)` that registers checked channels on `ipcMain`. */
export function checkedHandler(
  ipcMain: InvokeIpcMain,
  trustedUrl: string,
  log: (line: string) => void,
): (channel: string, arity: number, handler: (args: unknown[]) => Promise<Envelope> | Envelope) => void {
  return (channel, arity, handler) =>
    ipcMain.handle(channel, async (event, ...args): Promise<Envelope> => {
      const sender = checkSender(event.senderFrame, trustedUrl);
      if (!sender.ok) {
        log(`IPC refused on ${channel}: ${sender.reason}`);
        return { ok: false, error: { code: 'IPC_REJECTED', message: `IPC refused: ${sender.reason}` } };
      }
      if (args.length !== arity)
        return badArgument(`${channel} takes ${arity} arguments, got ${args.length}`);
      try {
        return await handler(args);
      } catch (err) {
        return { ok: false, error: { code: 'SERVICE_FAILED', message: errorMessage(err) } };
      }
    });
}
