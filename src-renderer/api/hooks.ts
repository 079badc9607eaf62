/**
 * React's side of the services: one context carries them (built once in main.tsx, or with fakes in a
 * test), and `useAgent` reads the store with `useSyncExternalStore`, so a view re-renders only when
 * the part it selects changed; a feature's own stores are read the same way (`useStore`).
 */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { PeerInfo } from '../../src-main/api/contract.js';
import type { ServiceKey } from '../lib/feature-services.js';
import { intentOf, type Intents } from '../lib/navigation.js';
import type { Services } from '../services.js';
import type { Snapshot } from './store.js';
import type { Disposer } from './transport.js';

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

/** A feature's service (lib/feature-services.ts): made on first use, the same one after. */
export function useService<T>(key: ServiceKey<T>): T {
  return useServices().get(key);
}

/** The selected part of what a store with `get` and `subscribe` holds (a feature's store), as useAgent. */
export function useStore<S, T>(
  store: { get: () => S; subscribe: (listener: () => void) => Disposer },
  select: (s: S) => T,
): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()));
}

/** What the shown view `view` was opened for (its feature's `Intents` entry), read live. */
export function useIntent<V extends keyof Intents>(view: V): Partial<Intents[V]> {
  const { nav } = useServices();
  return intentOf(useSyncExternalStore(nav.subscribe, nav.get), view);
}
