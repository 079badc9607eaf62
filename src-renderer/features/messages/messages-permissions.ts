/** The permission word the messages feature explains (features/permission-words.ts). */
import { MESSAGES_WORDS } from '../../../src-main/messages/messages-words.js';
import { explained, type PermissionWord } from '../permission-words.js';

export const MESSAGES_PERMISSIONS: readonly PermissionWord[] = explained(MESSAGES_WORDS, {
  message: { label: 'Send messages to programs here', refused: 'messages' },
});
