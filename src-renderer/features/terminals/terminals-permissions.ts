/** The permission word the terminals feature explains (features/permission-words.ts). */
import { TERMINAL_WORDS } from '../../../src-main/terminal/terminal-words.js';
import { explained, type PermissionWord } from '../permission-words.js';

export const TERMINALS_PERMISSIONS: readonly PermissionWord[] = explained(TERMINAL_WORDS, {
  terminal: { label: 'Open terminals here', refused: 'terminals' },
});
