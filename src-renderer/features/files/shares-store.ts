/**
 * This node's shared folders (docs/api.md §Shares), for the Files view. Shares have no event of
 * their own: they are read on (re)connecting (api/agent-store.ts), again after every change made
 * here and, while the Files view is open, every few seconds (`watch`), so a share that starts
 * listening or fails shows it.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { ShareInfo } from '../../../src-main/share/share-contract.js';
import { inBackground } from '../../../src-main/core/background.js';
import { agentStore, type LiveStore, type Loaded } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import type { Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';

/** How often shares are read again while the Files view is open. */
export const SHARE_POLL_MS = 4000;

export interface SharesState {
  shares: readonly ShareInfo[];
}

/** `unsupported`: the agent has no shares methods (an older release), which is no error to show. */
export type SharesSnapshot = Loaded<SharesState>;

export class SharesStore {
  private readonly store: LiveStore<SharesState>;
  private watchers = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly client: ApiClient) {
    this.store = agentStore<SharesState>(client, {
      initial: { shares: [] },
      what: 'the shares',
      load: async (call) => ({ shares: await call('share.list', {}) }),
    });
  }

  get = (): SharesSnapshot => this.store.get();

  subscribe = (listener: () => void): Disposer => this.store.subscribe(listener);

  refresh(): Promise<void> {
    return this.store.refresh();
  }

  /** While the returned disposer is not called, the shares are read every SHARE_POLL_MS. */
  watch(): Disposer {
    this.watchers++;
    if (this.watchers === 1) {
      inBackground(this.refresh(), console, 'reading the shares');
      this.timer = setInterval(() => {
        if (this.client.transport.state.kind === 'connected')
          inBackground(this.refresh(), console, 'reading the shares');
      }, SHARE_POLL_MS);
    }
    return () => {
      this.watchers--;
      if (this.watchers === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Stops share `name` (throws the agent's error); the list is read again. */
  async stop(name: string): Promise<void> {
    await this.client.call('share.remove', { name });
    this.store.update((s) => ({ shares: s.shares.filter((x) => x.name !== name) }));
    await this.refresh();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.store.dispose();
  }
}

/** The window's one shares store, made on first use (lib/feature-services.ts). */
export const SHARES = serviceKey('files.shares', ({ client }) => new SharesStore(client));
