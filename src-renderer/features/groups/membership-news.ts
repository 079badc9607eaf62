/**
 * A group this device's person belonged to that is gone from the agent's list (its owner removed the
 * person, dropped every device of the group or deleted it — the agent hears of it, ADR 0092) is said
 * in a toast wherever the window is: otherwise it only vanishes from the Groups view, and an open
 * terminal on one of its devices ends with a refusal that does not say why. A group left from this
 * window (Leave group) is not news: the view said so already. Pure but for the store it follows
 * (groups-store.ts).
 */
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { LiveStore } from '../../api/agent-store.js';
import type { Disposer } from '../../api/transport.js';
import type { Toasts } from '../../lib/toasts.js';
import { serviceKey } from '../../lib/feature-services.js';
import type { GroupsState } from './groups-store.js';

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

/**
 * Follows the groups store from its first read: each change of the list after it that drops a member
 * group says so in a toast. Returns its disposer.
 */
export function followMembership(
  groups: Pick<LiveStore<GroupsState>, 'get' | 'subscribe'>,
  toasts: Pick<Toasts, 'show'>,
  leaving: Leaving,
): Disposer {
  let known: Map<string, string> | null = null;
  let seen: readonly GroupInfo[] | null = null;
  const check = () => {
    const { phase, groups: now } = groups.get();
    // Before the first read answers, the list held is no one's (an event that came first is in it).
    if (phase === 'loading' || now === seen) return;
    seen = now;
    if (known) for (const line of membershipEnded(known, now, leaving)) toasts.show(line);
    known = memberGroups(now);
  };
  check();
  return groups.subscribe(check);
}
