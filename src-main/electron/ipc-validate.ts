/**
 * Every IPC message is checked before a handler runs (architecture.md §Rules the code keeps, after VS Code's `validatedIpcMain`):
 * the channel is in the app's namespace, the sender is the main frame of our own page, and the
 * arguments match the channel's zod schema. A rejected message gets a reason that names the problem.
 */
import type { z } from 'zod';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { ClawError } from '../core/errors.js';

/** Prefix of every channel the app handles. */
export const CHANNEL_PREFIX = 'clawbridge:';

/** The parts of a sender frame the validator looks at (Electron's WebFrameMain has these). */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Accepts only the top frame of the app's own page. Query and hash are ignored; scheme, host and path
 * must equal `trustedUrl` (the `file://` URL of dist/renderer/index.html).
 */
export function checkSender(frame: SenderFrame | null | undefined, trustedUrl: string): Verdict {
  if (!frame) return { ok: false, reason: 'sender frame is gone (destroyed or navigated away)' };
  if (frame.parent !== null) return { ok: false, reason: 'sender is a subframe, not the main frame' };
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch {
    return { ok: false, reason: `sender URL '${frame.url}' is not a URL` };
  }
  const trusted = new URL(trustedUrl);
  if (url.protocol !== trusted.protocol || url.host !== trusted.host || url.pathname !== trusted.pathname) {
    return { ok: false, reason: `sender URL '${url.origin}${url.pathname}' is not the app's page` };
  }
  return { ok: true };
}

/** Checks the channel namespace, then `args` against `schema`; the reason names the first bad field. */
export function checkMessage(channel: string, args: unknown[], schema: z.ZodType): Verdict {
  if (!channel.startsWith(CHANNEL_PREFIX)) {
    return { ok: false, reason: `channel '${channel}' is outside '${CHANNEL_PREFIX}'` };
  }
  const parsed = schema.safeParse(args);
  if (parsed.success) return { ok: true };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length ? `argument ${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `bad arguments on ${channel}: ${where}${issue?.message ?? 'invalid'}` };
}

/**
 * Registers `handler` for `ipcRenderer.invoke(channel, ...args)`, running it only for a trusted sender
 * with valid arguments. Otherwise the renderer's promise rejects with ClawError('IPC_REJECTED').
 */
export function handleValidated<S extends z.ZodType<unknown[]>, R>(
  ipcMain: Pick<IpcMain, 'handle'>,
  channel: string,
  schema: S,
  trustedUrl: string,
  handler: (...args: z.infer<S>) => Promise<R>,
): void {
  ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
    const sender = checkSender(event.senderFrame, trustedUrl);
    const message = sender.ok ? checkMessage(channel, args, schema) : sender;
    if (!message.ok) return Promise.reject(new ClawError('IPC_REJECTED', `IPC refused: ${message.reason}`));
    // Parsed again (cheap) so the handler gets zod's output, including any defaults or transforms.
    return handler(...schema.parse(args));
  });
}
