/**
 * The permission word the peers feature explains (features/permission-words.ts): relaying, which a
 * peer's route through this device needs (RouteDialog).
 */
import type { PermissionWord } from '../permission-words.js';

export const PEERS_PERMISSIONS: readonly PermissionWord[] = [
  { word: 'relay', label: 'Use this device as a relay', refused: 'relaying', byDefault: false, order: 3 },
];
