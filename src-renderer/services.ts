/**
 * The services container: everything the views use, built once with constructor injection (main.tsx
 * with the real transport, a test with a FakeTransport). No framework: a plain object in a context.
 */
import { ApiClient } from './api/client.js';
import type { Platform } from './api/pick-transport.js';
import { FilesStore } from './api/files-store.js';
import { MessagesStore } from './api/messages-store.js';
import { AgentStore } from './api/store.js';
import type { Transport } from './api/transport.js';
import { TerminalManager } from './features/terminals/terminal-manager.js';
import { Navigation, type KeyValue, type View } from './lib/navigation.js';
import { PairScreen } from './lib/request-notices.js';
import { Toasts } from './lib/toasts.js';

export interface Services {
  client: ApiClient;
  store: AgentStore;
  /** The inbox and outbox, kept live (api/messages-store.ts). */
  messages: MessagesStore;
  /** Transfers, received files and shares, kept live (api/files-store.ts). */
  files: FilesStore;
  nav: Navigation;
  toasts: Toasts;
  /** The code "Pair new device" shows, so a request that used it is not toasted too. */
  pairScreen: PairScreen;
  terminals: TerminalManager;
  /** The desktop app or a browser tab (pick-transport.ts). */
  platform: Platform;
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
  return {
    platform,
    client,
    store: new AgentStore(client),
    messages: new MessagesStore(client, prefs),
    files: new FilesStore(client),
    nav: new Navigation(storage, views),
    toasts: new Toasts(),
    pairScreen: new PairScreen(),
    terminals: new TerminalManager(client, storage, prefs),
  };
}
