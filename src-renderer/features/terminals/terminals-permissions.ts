/** The permission word the terminals feature explains (features/permission-words.ts). */
import type { PermissionWord } from '../permission-words.js';

export const TERMINALS_PERMISSIONS: readonly PermissionWord[] = [
  { word: 'terminal', label: 'Open terminals here', refused: 'terminals', byDefault: true, order: 1 },
];
