/** The permission word the files feature explains (features/permission-words.ts). */
import type { PermissionWord } from '../permission-words.js';

export const FILES_PERMISSIONS: readonly PermissionWord[] = [
  {
    word: 'files',
    label: 'Send files here (into the file inbox)',
    refused: 'files',
    byDefault: false,
    order: 6,
  },
];
