/**
 * A group this device's person belonged to that is gone from the agent's list (its owner removed the
 * person, dropped every device of the group or deleted it — the agent hears of it, ADR 0092) is said
 * in a toast wherever the window is: otherwise it only vanishes from the Groups view, and an open
 * terminal on one of its devices ends with a refusal that does not say why. A group left from this
 * window (Leave group) is not news: the view said so already. Pure but for the store it follows.
 */
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { ApiClient } from '../../api/client.js';
import type { AgentStore } from '../../api/store.js';
import type { Disposer } from '../../api/transport.js';
import type { Toasts } from '../../lib/toasts.js';
import { serviceKey } from '../../lib/feature-services.js';

/** The groups this window asked to leave, so their going is not told again. */
export class Leaving {
  private readonly ids = new Set<string>();
  add(id: string): void {
    this.ids.add(id);
  }
  /** Whether `id` was asked to leave; asked once, it is forgotten. */
  take(id: string): boolean {
    return this.ids.delete(id);
  }
}

export const LEAVING = serviceKey('groups.leaving', () => new Leaving());

/** The groups the person is a member of, by id: their names. */
export function memberGroups(groups: readonly GroupInfo[]): Map<string, string> {
  return new Map(groups.filter((g) => g.role === 'member').map((g) => [g.id, g.name]));
}

/** The sentences for the member groups in `before` that `now` no longer holds, but those left here. */
export function membershipEnded(
  before: ReadonlyMap<string, string>,
  now: readonly GroupInfo[],
  leaving: Leaving,
): string[] {
  const still = new Set(now.map((g) => g.id));
  const out: string[] = [];
  for (const [id, name] of before) {
    if (still.has(id) || leaving.take(id)) continue;
    out.push(`You are no longer in ${name}: its owner removed you or deleted the group`);
  }
  return out;
}

/** Follows `groups.changed` from the first list read; returns its disposer. */
export function followMembership(
  client: ApiClient,
  store: AgentStore,
  toasts: Toasts,
  leaving: Leaving,
): Disposer {
  let known: Map<string, string> | null = null;
  let disposed = false;
  client.call('groups.list', {}).then(
    (r) => {
      // An event that came first is newer than this answer.
      if (!disposed && known === null) known = memberGroups(r.groups);
    },
    () => undefined, // no groups to follow until the next change says which
  );
  const stop = store.onAgentEvent((event, data) => {
    if (event !== 'groups.changed') return;
    const { groups } = data as { groups: GroupInfo[] };
    if (known) for (const line of membershipEnded(known, groups, leaving)) toasts.show(line);
    known = memberGroups(groups);
  });
  return () => {
    disposed = true;
    stop();
  };
}
