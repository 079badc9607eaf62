/**
 * The permission word the peers feature explains (features/permission-words.ts): relaying, which a
 * peer's route through this device needs (RouteDialog).
 */
import { NODE_WORDS } from '../../../src-main/core/node-words.js';
import { explained, type PermissionWord } from '../permission-words.js';

export const PEERS_PERMISSIONS: readonly PermissionWord[] = explained(NODE_WORDS, {
  relay: { label: 'Use this device as a relay', refused: 'relaying' },
});
