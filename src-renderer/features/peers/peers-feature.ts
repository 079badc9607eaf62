import type { Feature } from '../registry.js';
import { PeersView } from './PeersView.js';
import { PEERS_PERMISSIONS } from './peers-permissions.js';

/** The peers and what each may do: the window's first view. */
export const peersFeature: Feature = {
  id: 'peers',
  label: 'Peers',
  View: PeersView,
  permissions: PEERS_PERMISSIONS,
  needs: ['status'],
};
