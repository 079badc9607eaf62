/**
 * Who may talk to main over IPC (architecture.md §Rules the code keeps, after VS Code's
 * `validatedIpcMain`): only the main frame of the app's own page. api-ipc.ts checks every message's
 * sender with this before it looks at the method and params; a refused message gets the reason.
 */

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
