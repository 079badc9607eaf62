/**
 * The groups this node's person owns or belongs to, and the open invitations, kept live: read once,
 * then replaced by what `groups.changed` and `groups.invitations.changed` carry; read again when the
 * peers' states change (a group device's state is its link's) and when the agent is back.
 */
import { useCallback, useEffect, useState } from 'react';
import type { GroupInfo } from '../../../src-main/groups/groups-contract.js';
import type { InvitationInfo } from '../../../src-main/group-members/group-members-contract.js';
import { messageOf } from '../../api/client.js';
import { useAgent, usePeers, useServices } from '../../api/hooks.js';

export interface GroupsState {
  /** Null until the first read answers. */
  groups: GroupInfo[] | null;
  invitations: InvitationInfo[];
  /** Why the last read failed, until one succeeds. */
  loadError: string | null;
  reload: () => void;
}

export function useGroups(): GroupsState {
  const { client, store } = useServices();
  const [groups, setGroups] = useState<GroupInfo[] | null>(null);
  const [invitations, setInvitations] = useState<InvitationInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const connected = useAgent((s) => s.connection.kind === 'connected');
  // The peers' states, as one string: a change there is a group device going on- or offline.
  const peerStates = usePeers()
    .map((p) => `${p.fingerprint}:${p.state}:${p.path ?? ''}`)
    .join(',');
  const reload = useCallback(() => {
    client.call('groups.list', {}).then(
      (r) => {
        setGroups(r.groups);
        setLoadError(null);
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
    // A node that invites no one (a browser: it owns no group) is not asked.
    if (!client.serves('groups.invitations')) return;
    client.call('groups.invitations', {}).then(
      (r) => setInvitations(r.invitations),
      () => undefined, // an agent without invitations: none to show
    );
  }, [client]);
  useEffect(() => {
    if (connected) reload();
  }, [connected, reload, peerStates]);
  useEffect(
    () =>
      store.onAgentEvent((event, data) => {
        if (event === 'groups.changed') setGroups((data as { groups: GroupInfo[] }).groups);
        else if (event === 'groups.invitations.changed') {
          setInvitations((data as { invitations: InvitationInfo[] }).invitations);
        }
      }),
    [store],
  );
  return { groups, invitations, loadError, reload };
}
