/** The permission words the forwards feature explains (features/permission-words.ts). */
import type { PermissionWord } from '../permission-words.js';

export const FORWARDS_PERMISSIONS: readonly PermissionWord[] = [
  {
    word: 'forward',
    label: 'Forward connections through here',
    refused: 'forwards',
    byDefault: true,
    order: 2,
  },
  {
    word: 'listen',
    label: 'Listen on ports here (reverse forwards)',
    refused: 'reverse forwards',
    byDefault: false,
    order: 4,
  },
];
