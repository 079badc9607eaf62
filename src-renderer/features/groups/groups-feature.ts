import type { Feature } from '../registry.js';
import { GROUPS_LINKS } from './groups-links.js';
import { GroupsView } from './GroupsView.js';
import { followDeviceLinks, GROUPS } from './groups-store.js';
import { followMembership, LEAVING } from './membership-news.js';

/** Groups: the owner's devices shared with members, and the groups this device belongs to. */
export const groupsFeature: Feature = {
  id: 'groups',
  label: 'Groups',
  place: 10,
  View: GroupsView,
  links: GROUPS_LINKS,
  // A member's side is the least: listing, joining, leaving. The owner's parts (create, invite,
  // history…) show where they are served (a browser node owns no group, ADR 0094).
  needs: ['groups.list', 'groups.join', 'groups.leave'],
  watch: ({ store, toasts, get }) => {
    const offs = [followMembership(get(GROUPS), toasts, get(LEAVING)), followDeviceLinks(get(GROUPS), store)];
    return () => {
      for (const off of offs) off();
    };
  },
};
