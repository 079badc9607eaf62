/**
 * The IPC channels of the window's transport (docs/architecture.md §The API contract and its
 * transports). The sandboxed preload cannot require this file at run time, so it repeats the strings;
 * test/unit/electron/preload.test.ts checks both copies agree.
 *
 * - `request` (invoke: method, params) → `{ok, result} | {ok: false, error}`: one API call;
 * - `subscribe` / `unsubscribe` (invoke, no arguments) → envelope: this page wants events or no more;
 * - `event` (main → page: event, data): the agent's events, and the app's own (`app.*`, see api-ipc.ts);
 * - `openStream` (invoke: method, params, streamId) → envelope with the stream's result; before it
 *   answers, main posts a MessagePort on `stream` with `{streamId}`, which the preload hands to the page.
 */
import type { AgentHostState } from './agent-connection.js';
import type { Hint } from '../core/hint.js';
import type { UpdateStatus } from './update-policy.js';

export const API_IPC_CHANNELS = {
  request: 'clawbridge:request',
  subscribe: 'clawbridge:subscribe',
  unsubscribe: 'clawbridge:unsubscribe',
  event: 'clawbridge:event',
  openStream: 'clawbridge:open-stream',
  stream: 'clawbridge:stream',
  /** Files (files-ipc.ts): the native picker's paths, the Downloads folder, showing a folder. */
  pickFiles: 'clawbridge:pick-files',
  downloadsDir: 'clawbridge:downloads-dir',
  openFolder: 'clawbridge:open-folder',
  /**
   * Updates (updates-ipc.ts): the updater's status, the user's choice, "Check now", "Download" (notify
   * mode) and "Restart to update" (with `confirmed` when the user said yes knowing what runs).
   */
  updateStatus: 'clawbridge:update-status',
  updateChoose: 'clawbridge:update-choose',
  updateCheck: 'clawbridge:update-check',
  updateDownload: 'clawbridge:update-download',
  updateRestart: 'clawbridge:update-restart',
  /** Settings → "Keep running after Quit": the home's service (service-ipc.ts). */
  serviceStatus: 'clawbridge:service-status',
  serviceSet: 'clawbridge:service-set',
} as const;

/**
 * Events main itself sends the window over the same subscription; their names start with `app.` so
 * they can never collide with the agent's (ApiEvents).
 */
export interface AppEvents {
  /** Show a view (a tray item or a notification was clicked): 'approvals', 'pair', 'terminals'…, and an optional detail (a peer name). */
  'app.navigate': { view: string; detail?: string };
  /** The agent's host changed state (restarting, stopped…): the window can say why calls fail meanwhile. */
  'app.host': AgentHostState;
  /** The page's subscription was refused (the error main gave), sent to that page's listener only. */
  'app.refused': { code: string; message: string };
  /** The updater's status changed (Settings → Updates, the "restart to update" notice). */
  'app.update': UpdateStatus;
}

export type AppEventName = keyof AppEvents;

/** What main answers on `request`, `subscribe`, `unsubscribe` and `openStream`. */
export type IpcEnvelope =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: string; message: string; refusal?: string; hint?: Hint } };

/**
 * What the preload exposes as `window.clawbridge`: the renderer's ClawbridgeBridge
 * (src-renderer/api/ipc-bridge.ts), restated here because main's build cannot reach the renderer's
 * files; test/unit/electron/preload.test.ts checks the two types fit together.
 */
export interface WindowBridge {
  request(method: string, params: unknown): Promise<IpcEnvelope>;
  subscribe(listener: (event: string, data: unknown) => void): () => void;
  openStream(method: string, params: unknown, streamId: string): Promise<IpcEnvelope>;
  /** Paths chosen in the native dialog (null: cancelled); files-ipc.ts. */
  pickFiles?(kind: 'files' | 'folder'): Promise<IpcEnvelope>;
  /** The path of a file dropped on the page (webUtils.getPathForFile; '' when it has none). */
  pathForFile?(file: unknown): string;
  downloadsDir?(): Promise<IpcEnvelope>;
  openFolder?(path: string): Promise<IpcEnvelope>;
  /** The desktop app's updater (updates-ipc.ts); absent in a browser tab. */
  updates?: {
    status(): Promise<IpcEnvelope>;
    choose(choice: unknown): Promise<IpcEnvelope>;
    check(): Promise<IpcEnvelope>;
    download(): Promise<IpcEnvelope>;
    restart(confirmed: boolean): Promise<IpcEnvelope>;
  };
  /** The home's service (service-ipc.ts); absent in a browser tab. */
  service?: {
    status(): Promise<IpcEnvelope>;
    set(on: boolean): Promise<IpcEnvelope>;
  };
}
