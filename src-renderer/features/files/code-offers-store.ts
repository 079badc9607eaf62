/**
 * The window's offers made with a code (Send to anyone; docs/api.md `files.sendCode`, ADR 0124): read
 * on (re)connecting (api/agent-store.ts), then kept live by the agent's `file.codeOffer` event — taken,
 * its transfer's progress, ended.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { CodeOfferInfo } from '../../../src-main/files/files-contract.js';
import { agentStore, when, type LiveStore, type Loaded } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import type { Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';

const ENDED = new Set<CodeOfferInfo['state']>(['done', 'failed', 'cancelled', 'expired']);

/** Whether an offer moves no more. */
export function offerEnded(o: CodeOfferInfo): boolean {
  return ENDED.has(o.state);
}

/**
 * The offers with `next` in place of the one with its id (or added first): an ended offer does not
 * move back from a late event, as the agent's list never does.
 */
export function withOffer(list: readonly CodeOfferInfo[], next: CodeOfferInfo): CodeOfferInfo[] {
  const held = list.find((o) => o.id === next.id);
  const merged = held && offerEnded(held) && !offerEnded(next) ? held : next;
  return [merged, ...list.filter((o) => o.id !== next.id)];
}

export interface CodeOffersState {
  /** Open ones, newest first, then the ones that ended (as `files.codeOffers` answers). */
  offers: readonly CodeOfferInfo[];
}

export type CodeOffersSnapshot = Loaded<CodeOffersState>;

export class CodeOffersStore {
  private readonly store: LiveStore<CodeOffersState>;

  constructor(private readonly client: ApiClient) {
    this.store = agentStore<CodeOffersState>(client, {
      initial: { offers: [] },
      what: 'the offers sent with a code',
      load: async (call) => ({ offers: await call('files.codeOffers', {}) }),
      events: [when('file.codeOffer', (s, o) => ({ offers: withOffer(s.offers, o) }))],
    });
  }

  get = (): CodeOffersSnapshot => this.store.get();

  subscribe = (listener: () => void): Disposer => this.store.subscribe(listener);

  /** Offers `paths` (absolute, on the agent's machine) to whoever has the code; throws the agent's error. */
  async send(paths: string[], ttlSeconds?: number): Promise<CodeOfferInfo> {
    const offer = await this.client.call(
      'files.sendCode',
      ttlSeconds === undefined ? { paths } : { paths, ttlSeconds },
    );
    this.store.update((s) => ({ offers: withOffer(s.offers, offer) }));
    return offer;
  }

  /** Retires the offer's code (and cancels its transfer if one runs); throws the agent's error. */
  async cancel(id: string): Promise<void> {
    const offer = await this.client.call('files.cancelCode', { id });
    this.store.update((s) => ({ offers: withOffer(s.offers, offer) }));
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** The window's one store of code offers, made on first use (lib/feature-services.ts). */
export const CODE_OFFERS = serviceKey('files.codeOffers', ({ client }) => new CodeOffersStore(client));
