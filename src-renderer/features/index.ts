/**
 * The window's features, in the order of the sidebar (docs/architecture.md §Adding a domain, ADR 0086):
 * the one list that names them. Each folder exports its `Feature` (registry.ts); the sidebar, the view
 * area, the peer card, Settings and the permission boxes take what these bring. A new feature is its
 * folder and one line here. Imported by the entry points only (main.tsx, and src-web/window/main.tsx for the page a relay
 * serves), which hand the list to the window.
 */
import { activityFeature } from './activity/activity-feature.js';
import { approvalsFeature } from './approvals/approvals-feature.js';
import { connectionsFeature } from './connections/connections-feature.js';
import { filesFeature } from './files/files-feature.js';
import { forwardsFeature } from './forwards/forwards-feature.js';
import { groupsFeature } from './groups/groups-feature.js';
import { messagesFeature } from './messages/messages-feature.js';
import { pairFeature } from './pair/pair-feature.js';
import { peersFeature } from './peers/peers-feature.js';
import type { Feature } from './registry.js';
import { settingsFeature } from './settings/settings-feature.js';
import { terminalsFeature } from './terminals/terminals-feature.js';

export const FEATURES: readonly Feature[] = [
  peersFeature,
  approvalsFeature,
  pairFeature,
  groupsFeature,
  terminalsFeature,
  messagesFeature,
  filesFeature,
  forwardsFeature,
  connectionsFeature,
  activityFeature,
  settingsFeature,
];
