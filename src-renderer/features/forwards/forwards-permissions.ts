/** The permission words the forwards feature explains (features/permission-words.ts). */
import { FORWARDS_WORDS } from '../../../src-main/forwards/forwards-words.js';
import { explained, type PermissionWord } from '../permission-words.js';

export const FORWARDS_PERMISSIONS: readonly PermissionWord[] = explained(FORWARDS_WORDS, {
  forward: { label: 'Forward connections through here', refused: 'forwards' },
  listen: { label: 'Listen on ports here (reverse forwards)', refused: 'reverse forwards' },
});
