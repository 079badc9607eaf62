import type { Feature } from '../registry.js';
import { ConnectionsView } from './ConnectionsView.js';

/** What this device carries now. */
export const connectionsFeature: Feature = { id: 'connections', label: 'Connections', View: ConnectionsView };
