/**
 * The services container: everything the views use, built once with constructor injection (main.tsx
 * with the real transport, a test with a FakeTransport). No framework: a plain object in a context.
 * A feature's own services (its stores, the terminal tabs) are not listed here: each is made on first
 * use from the key its feature exports (lib/feature-services.ts, ADR 0088), so this file names none.
 */
import { ApiClient } from './api/client.js';
import type { Platform } from './api/pick-transport.js';
import { AgentStore } from './api/store.js';
import type { Transport } from './api/transport.js';
import { FeatureServices, type ServiceKey } from './lib/feature-services.js';
import { Navigation, type KeyValue, type View } from './lib/navigation.js';
import { Toasts } from './lib/toasts.js';

export interface Services {
  client: ApiClient;
  store: AgentStore;
  nav: Navigation;
  toasts: Toasts;
  /** The desktop app or a browser tab (pick-transport.ts). */
  platform: Platform;
  /** A feature's service (`services.get(TERMINALS)`): made the first time it is asked for, then kept. */
  get: <T>(key: ServiceKey<T>) => T;
}

export function createServices(
  transport: Transport,
  storage: KeyValue | null,
  /** The views there are: the registered features' ids (features/index.ts), the first shown first. */
  views: readonly View[],
  platform: Platform = 'web',
  /** This device's lasting choices (localStorage), where `storage` is this window's (sessionStorage). */
  prefs: KeyValue | null = null,
): Services {
  const client = new ApiClient(transport);
  const features = new FeatureServices({ client, storage, prefs });
  return {
    platform,
    client,
    store: new AgentStore(client),
    nav: new Navigation(storage, views),
    toasts: new Toasts(),
    get: features.get,
  };
}
