/** The permission word the files feature explains (features/permission-words.ts). */
import { FILES_WORDS } from '../../../src-main/files/files-words.js';
import { explained, type PermissionWord } from '../permission-words.js';

export const FILES_PERMISSIONS: readonly PermissionWord[] = explained(FILES_WORDS, {
  files: { label: 'Send files here (into the file inbox)', refused: 'files' },
});
