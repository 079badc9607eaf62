/**
 * The desktop app's updater as the window sees it (Settings → Updates and the "restart to update"
 * notice), through the preload's `window.clawbridge.updates` (src-main/electron/updates-ipc.ts). The
 * updater lives in main, not in the agent: a browser tab on the web UI has none, and shows neither.
 * One small store per page, read with useSyncExternalStore: the status main last sent (`app.update`).
 */
import { useSyncExternalStore } from 'react';
import { unwrap, type Envelope } from '../api/ipc-bridge.js';
import type { RestartVerdict, UpdateChoice, UpdateStatus } from '../../src-main/electron/update-policy.js';
import { inBackground } from '../../src-main/core/background.js';

export type { RestartVerdict, UpdateChoice, UpdateStatus };

/** The bridge's update members (an older preload, or a browser tab, has none). */
interface UpdatesBridge {
  status(): Promise<Envelope<UpdateStatus>>;
  choose(choice: UpdateChoice): Promise<Envelope<UpdateStatus>>;
  check(): Promise<Envelope<UpdateStatus>>;
  download(): Promise<Envelope<UpdateStatus>>;
  restart(confirmed: boolean): Promise<Envelope<RestartVerdict>>;
}
type Bridge = {
  updates?: Partial<UpdatesBridge>;
  subscribe?: (l: (event: string, data: unknown) => void) => () => void;
};

export interface DesktopUpdates {
  current(): UpdateStatus | null;
  listen(listener: () => void): () => void;
  choose(choice: UpdateChoice): Promise<void>;
  check(): Promise<void>;
  download(): Promise<void>;
  restart(confirmed: boolean): Promise<RestartVerdict>;
}

let shared: DesktopUpdates | null | undefined;

/** The page's updater, or null where there is none (a browser tab). */
export function desktopUpdates(): DesktopUpdates | null {
  if (shared !== undefined) return shared;
  const bridge = (window as { clawbridge?: Bridge }).clawbridge;
  const u = bridge?.updates;
  if (
    typeof u?.status !== 'function' ||
    typeof u.choose !== 'function' ||
    typeof u.check !== 'function' ||
    typeof u.download !== 'function' ||
    typeof u.restart !== 'function'
  )
    return (shared = null);
  const b = u as UpdatesBridge;
  let status: UpdateStatus | null = null;
  const listeners = new Set<() => void>();
  const set = (next: UpdateStatus) => {
    status = next;
    for (const l of [...listeners]) l();
  };
  bridge?.subscribe?.((event, data) => {
    if (event === 'app.update') set(data as UpdateStatus);
  });
  inBackground(
    b.status().then((env) => env.ok && set(env.result)),
    console,
    'reading the update status',
  );
  shared = {
    current: () => status,
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    choose: async (choice) => set(unwrap(await b.choose(choice))),
    check: async () => set(unwrap(await b.check())),
    download: async () => set(unwrap(await b.download())),
    restart: async (confirmed) => unwrap(await b.restart(confirmed)),
  };
  return shared;
}

const none = () => () => undefined;

/** The updater's status, live; null before main answered or where there is no updater. */
export function useUpdateStatus(): UpdateStatus | null {
  const u = desktopUpdates();
  return useSyncExternalStore(u ? (l) => u.listen(l) : none, () => u?.current() ?? null);
}
