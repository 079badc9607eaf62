/**
 * The groups this node's person owns or belongs to, and the open invitations: read once on
 * (re)connecting (api/agent-store.ts), then replaced by what `groups.changed` and
 * `groups.invitations.changed` carry. A group device's state is its link's, which the agent does not
 * announce as a groups event: the groups are read again when the link of one of their devices changes
 * (`followDeviceLinks`), and on no other peer's change.
 *
 * No React and no DOM here, so it runs under node:test with a FakeTransport.
 */
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { PeerInfo } from '../../../src-main/api/contract.js';
import { inBackground } from '../../../src-main/core/background.js';
import { agentStore, whole, type LiveStore, type Loaded } from '../../api/agent-store.js';
import type { ApiClient } from '../../api/client.js';
import type { AgentStore } from '../../api/store.js';
import type { Disposer } from '../../api/transport.js';
import { serviceKey } from '../../lib/feature-services.js';

export interface GroupsState {
  groups: GroupInfo[];
  invitations: InvitationInfo[];
}

export type GroupsSnapshot = Loaded<GroupsState>;

export function groupsStore(client: ApiClient): LiveStore<GroupsState> {
  return agentStore<GroupsState>(client, {
    initial: { groups: [], invitations: [] },
    what: 'the groups',
    load: async (call, held) => {
      // A node that invites no one (a browser: it owns no group) is not asked; an agent without
      // invitations has none to show.
      const invitations = client.serves('groups.invitations')
        ? call('groups.invitations', {}).then(
            (r) => r.invitations,
            () => held.invitations,
          )
        : Promise.resolve(held.invitations);
      const { groups } = await call('groups.list', {});
      return { groups, invitations: await invitations };
    },
    events: [
      whole('groups.changed', (s, e) => ({ ...s, groups: e.groups })),
      whole('groups.invitations.changed', (s, e) => ({ ...s, invitations: e.invitations })),
    ],
  });
}

/** The links of the groups' devices as the peers show them: one string, equal while none changed. */
export function deviceLinks(groups: readonly GroupInfo[], peers: readonly PeerInfo[]): string {
  const byFingerprint = new Map(peers.map((p) => [p.fingerprint, p]));
  const devices = new Set(groups.flatMap((g) => g.devices.filter((d) => !d.self).map((d) => d.fingerprint)));
  return [...devices]
    .sort()
    .map((fp) => {
      const p = byFingerprint.get(fp);
      return p ? `${fp}:${p.state}:${p.path ?? ''}` : `${fp}:-`;
    })
    .join(',');
}

/**
 * Reads the groups again when the link of one of their devices changes (a peer's state or path in the
 * agent's status); returns its disposer. The links a read or an event brought are the ones the
 * groups held then were made with, so only a change after them reads again.
 */
export function followDeviceLinks(
  groups: Pick<LiveStore<GroupsState>, 'get' | 'subscribe' | 'refresh'>,
  agent: Pick<AgentStore, 'get' | 'subscribe'>,
): Disposer {
  let made: GroupInfo[] | null = null;
  let seen = '';
  const check = () => {
    const held = groups.get();
    const { connection, status } = agent.get();
    const now = deviceLinks(held.groups, status?.peers ?? []);
    if (held.groups !== made) {
      made = held.groups;
      seen = now;
      return;
    }
    if (now === seen || held.phase === 'loading' || connection.kind !== 'connected') return;
    seen = now;
    inBackground(groups.refresh(), console, 'reading the groups');
  };
  const offs = [groups.subscribe(check), agent.subscribe(check)];
  check();
  return () => {
    for (const off of offs) off();
  };
}

/** The window's one groups store, made on first use (lib/feature-services.ts). */
export const GROUPS = serviceKey('groups.store', ({ client }) => groupsStore(client));
