/** The permission word the messages feature explains (features/permission-words.ts). */
import type { PermissionWord } from '../permission-words.js';

export const MESSAGES_PERMISSIONS: readonly PermissionWord[] = [
  {
    word: 'message',
    label: 'Send messages to programs here',
    refused: 'messages',
    byDefault: true,
    order: 5,
  },
];
