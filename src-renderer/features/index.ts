/**
 * The window's features, in the order of the sidebar (docs/architecture.md §A domain's window and
 * commands, ADRs 0086 and 0111): the window's own (the devices, approvals, pairing; connections,
 * activity and settings after the rest) around the domains' (domain-features.ts, written by the build
 * from the list of domains), which take their `place`. Each folder exports its `Feature`
 * (registry.ts); the sidebar, the view area, the peer card, Settings and the permission boxes take what
 * these bring. A domain's feature is its folder and its description's `window`; none is named here.
 * Imported by the entry points only (main.tsx, and src-web/window/main.tsx for the page a relay
 * serves), which hand the list to the window.
 */
import { activityFeature } from './activity/activity-feature.js';
import { approvalsFeature } from './approvals/approvals-feature.js';
import { connectionsFeature } from './connections/connections-feature.js';
import { DOMAIN_FEATURES } from './domain-features.js';
import { pairFeature } from './pair/pair-feature.js';
import { peersFeature } from './peers/peers-feature.js';
import { inPlace, type Feature } from './registry.js';
import { settingsFeature } from './settings/settings-feature.js';

export const FEATURES: readonly Feature[] = [
  peersFeature,
  approvalsFeature,
  pairFeature,
  ...inPlace(DOMAIN_FEATURES),
  connectionsFeature,
  activityFeature,
  settingsFeature,
];
