/**
 * Shared terminals as the window sees them (docs/adr/0123-shared-terminals.md): the shares of the
 * terminals this node opened (each with its viewers, as the node where the shell runs answered last)
 * and the shares peers offered this node. Read once on (re)connecting (`terminal.sessions`); the
 * offers are then replaced by what `terminal.offers` carries, and a share by each action's answer
 * (`terminal.share`, `terminal.viewers`, `terminal.revoke`, `terminal.unshare`).
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { OfferInfo, ShareInfo } from '../../../src-main/terminal/shares/share-contract.js';
import { agentStore, whole, type LiveStore } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import { serviceKey } from '../../lib/feature-services.js';

export interface SharesState {
  /** The share of each terminal here that has one, by its `terminal.list` ID. */
  shares: Readonly<Record<string, ShareInfo>>;
  offered: OfferInfo[];
}

/** What the share's methods answer: the share as its host says now (`id`: the terminal here). */
type Answer = ShareInfo & { id: string };

export class SharesStore {
  readonly live: LiveStore<SharesState>;

  constructor(private readonly client: ApiClient) {
    this.live = agentStore<SharesState>(client, {
      initial: { shares: {}, offered: [] },
      what: 'the shared terminals',
      load: async (call, held) => {
        // A node without shared terminals (the relay's page) has none to show.
        if (!client.serves('terminal.sessions')) return held;
        const { sessions, offered } = await call('terminal.sessions', {});
        const shares: Record<string, ShareInfo> = {};
        for (const s of sessions) if (s.share) shares[s.id] = s.share;
        return { shares, offered };
      },
      events: [whole('terminal.offers', (s, e) => ({ ...s, offered: e.offered }))],
    });
  }

  /** Shares terminal `id` with `peer` (a fingerprint), or sets that viewer's `write` (a switch). */
  async share(id: string, peer: string, write: boolean, expiresMs?: number): Promise<void> {
    this.keep(
      await this.client.call('terminal.share', {
        id,
        with: [peer],
        write,
        ...(expiresMs !== undefined ? { expiresMs } : {}),
      }),
    );
  }

  /** Shares terminal `id` with every other device of `group` (its id), as the group is now (ADR 0123). */
  async shareGroup(id: string, group: string, write: boolean, expiresMs?: number): Promise<void> {
    this.keep(
      await this.client.call('terminal.share', {
        id,
        group,
        write,
        ...(expiresMs !== undefined ? { expiresMs } : {}),
      }),
    );
  }

  /**
   * Shares terminal `id` by a link (ADR 0123 §Link): its one-time code and the relay page's link, for
   * the dialog to show. The share is kept here only once the dialog calls `shown`: the bar above the
   * terminal takes another shape once it is shared, which would make the dialog anew without the code.
   */
  async shareLink(
    id: string,
    write: boolean,
    expiresMs?: number,
  ): Promise<{ code: string; link: string; shown: () => void }> {
    const r = await this.client.call('terminal.share', {
      id,
      link: true,
      write,
      ...(expiresMs !== undefined ? { expiresMs } : {}),
    });
    if (!r.code || !r.link) {
      this.keep(r);
      throw new Error('the agent made the share but gave no link: update it');
    }
    return { code: r.code, link: r.link, shown: () => this.keep(r) };
  }

  /** Asks the node where terminal `id` runs who is in its share now. */
  async viewers(id: string): Promise<void> {
    this.keep(await this.client.call('terminal.viewers', { id }));
  }

  async revoke(id: string, viewer: string): Promise<void> {
    this.keep(await this.client.call('terminal.revoke', { id, viewer }));
  }

  async unshare(id: string): Promise<void> {
    await this.client.call('terminal.unshare', { id });
    this.live.replace((s) => ({ ...s, shares: without(s.shares, id) }));
  }

  private keep({ id, ...share }: Answer): void {
    this.live.replace((s) => ({ ...s, shares: { ...s.shares, [id]: share } }));
  }
}

function without(shares: Readonly<Record<string, ShareInfo>>, id: string): Record<string, ShareInfo> {
  const { [id]: _gone, ...rest } = shares;
  return rest;
}

/** The window's shared terminals, made on first use. */
export const SHARES = serviceKey('terminals.shares', ({ client }) => new SharesStore(client));
