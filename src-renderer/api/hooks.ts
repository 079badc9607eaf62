/**
 * React's side of the services: one context carries them (built once in main.tsx, or with fakes in a
 * test), and `useAgent` reads the store with `useSyncExternalStore`, so a view re-renders only when
 * the part it selects changed.
 */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { PeerInfo } from '../../src-main/api/contract.js';
import type { Services } from '../services.js';
import type { FilesSnapshot } from './files-store.js';
import type { MessagesSnapshot } from './messages-store.js';
import type { Snapshot } from './store.js';

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside <ServicesContext.Provider>');
  return services;
}

/** The selected part of the agent snapshot; select something that keeps its identity between reads. */
export function useAgent<T>(select: (s: Snapshot) => T): T {
  const { store } = useServices();
  return useSyncExternalStore(store.subscribe, () => select(store.get()));
}

/** One empty list, so a selector never returns a new array for "nothing yet" (React would loop). */
const NO_PEERS: PeerInfo[] = [];

/** The peers, or the same empty list until the first status arrives. */
export function usePeers(): PeerInfo[] {
  return useAgent((s) => s.status?.peers ?? NO_PEERS);
}

/** The selected part of the messages snapshot (api/messages-store.ts), as useAgent reads the agent's. */
export function useMessages<T>(select: (s: MessagesSnapshot) => T): T {
  const { messages } = useServices();
  return useSyncExternalStore(messages.subscribe, () => select(messages.get()));
}

/** The selected part of the files snapshot (api/files-store.ts). */
export function useFiles<T>(select: (s: FilesSnapshot) => T): T {
  const { files } = useServices();
  return useSyncExternalStore(files.subscribe, () => select(files.get()));
}
