/**
 * The messages.* methods as the agent answers them, one call each, and the paged "all" forms: what
 * the client (messages-client.ts) adds its waiting to, and what a listener lists and acknowledges with.
 */
import type { MethodParams } from '../../api/contract.js';
import type { InboxMessage, OutboxMessage } from '../messages-contract.js';
import { IDS_PER_CALL, type ControlConnection } from './client-types.js';

export class MessagesCalls {
  constructor(protected readonly control: ControlConnection) {}

  list(filter: MethodParams<'messages.list'> = {}): Promise<InboxMessage[]> {
    return this.control.call('messages.list', filter);
  }

  outbox(filter: MethodParams<'messages.outbox'> = {}): Promise<OutboxMessage[]> {
    return this.control.call('messages.outbox', filter);
  }

  /**
   * Every inbox message that matches (up to the newest 10,000), oldest first: an answer carries as
   * many bodies as fit the agent's budget, so the rest are asked for `after` its last.
   */
  async listAll(
    filter: Omit<MethodParams<'messages.list'>, 'after' | 'limit'> = {},
  ): Promise<InboxMessage[]> {
    const all: InboxMessage[] = [];
    const query = { ...filter, limit: IDS_PER_CALL };
    for (let page = await this.list(query); page.length > 0;) {
      const after = page[page.length - 1]!.id;
      all.push(...page.filter((m) => all.length === 0 || m.id > all[all.length - 1]!.id));
      page = await this.list({ ...query, after });
      if (page.length > 0 && page[page.length - 1]!.id <= after) break; // no progress: not the contract's agent
    }
    return all;
  }

  /** Every outbox message that matches (up to the newest 10,000), oldest first. */
  outboxAll(filter: Omit<MethodParams<'messages.outbox'>, 'limit'> = {}): Promise<OutboxMessage[]> {
    return this.outbox({ ...filter, limit: IDS_PER_CALL });
  }

  /** Marks messages read: their senders get a `read` receipt. */
  async ack(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.control.call('messages.ack', { ids: [...ids] })).acked;
  }

  /** Removes messages from the inbox or the outbox; resolves with how many were there. */
  async delete(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.control.call('messages.delete', { ids: [...ids] })).deleted;
  }

  /** This node's peers, by name and fingerprint. */
  async peers(): Promise<{ name: string; fingerprint: string }[]> {
    return (await this.control.call('peers.list', {})).map(({ name, fingerprint }) => ({
      name,
      fingerprint,
    }));
  }
}
