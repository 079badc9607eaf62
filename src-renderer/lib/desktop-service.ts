/**
 * The home's service as the window sees it (Settings → "Keep running after Quit"), through the
 * preload's `window.clawbridge.service` (src-main/electron/service-ipc.ts). Main runs the install; a
 * browser tab on the web UI has no such bridge, and shows nothing.
 */
import { useEffect, useState } from 'react';
import { unwrap, type Envelope } from '../api/ipc-bridge.js';
import type { DesktopServiceStatus } from '../../src-main/electron/service-status.js';

export type { DesktopServiceStatus };

interface ServiceBridge {
  status(): Promise<Envelope<DesktopServiceStatus>>;
  set(on: boolean): Promise<Envelope<DesktopServiceStatus>>;
}

export interface DesktopService {
  status(): Promise<DesktopServiceStatus>;
  set(on: boolean): Promise<DesktopServiceStatus>;
}

/** The page's service switch, or null where there is none (a browser tab, an older preload). */
export function desktopService(): DesktopService | null {
  const s = (window as { clawbridge?: { service?: Partial<ServiceBridge> } }).clawbridge?.service;
  if (typeof s?.status !== 'function' || typeof s.set !== 'function') return null;
  const b = s as ServiceBridge;
  return {
    status: async () => unwrap(await b.status()),
    set: async (on) => unwrap(await b.set(on)),
  };
}

/** The service's status, asked once when the section shows; `set` replaces it with main's answer. */
export function useServiceStatus(): [DesktopServiceStatus | null, (s: DesktopServiceStatus) => void] {
  const [status, setStatus] = useState<DesktopServiceStatus | null>(null);
  useEffect(() => {
    let live = true;
    desktopService()
      ?.status()
      .then((s) => live && setStatus(s))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return [status, setStatus];
}
