import { useService, useStore } from '../../api/hooks.js';
import { GROUPS, type GroupsSnapshot } from './groups-store.js';

/** The selected part of the groups snapshot (groups-store.ts), as useAgent reads the agent's. */
export function useGroups<T>(select: (s: GroupsSnapshot) => T): T {
  return useStore(useService(GROUPS), select);
}
